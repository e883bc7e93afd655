import pytest
from django.test import override_settings

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def _plain_http(request):
    # The test client and the live server speak plain HTTP. Session-wide, and before the
    # live server starts, because SecurityMiddleware reads these once when it is built.
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    overrides = override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    overrides.enable()
    yield
    overrides.disable()


def make_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD
    )


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer")


@pytest.fixture
def second_reviewer(db):
    return make_user("second_reviewer")


@pytest.fixture
def outsider(db):
    return make_user("outsider")


@pytest.fixture
def review(owner, reviewer, second_reviewer):
    # Imported here so that parser tests run without Django (pytest -p no:django).
    from reviews import services
    from reviews.models import ReviewMember

    review = services.review_create(
        title="Exercise for depression",
        owner=owner,
        inclusion_criteria="RCTs of exercise",
        exclusion_criteria="Not RCTs",
    )
    ReviewMember.objects.create(review=review, user=reviewer, role=ReviewMember.Role.REVIEWER)
    ReviewMember.objects.create(
        review=review, user=second_reviewer, role=ReviewMember.Role.REVIEWER
    )
    return review


@pytest.fixture
def client_for(client):
    """client_for(user) logs the test client in as `user` (None = anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login
