"""Screening views. Every view resolves the review through reviews.queries.review_for_user."""

# --- Screening page (one record at a time) ------------------------------------------


# --- Record list ----------------------------------------------------------------------
