"""The screening benchmark's URLconf: the app's URLs plus the "floor" views.

The floor is the least a page showing one record can cost: fetch the record by primary key
and render a small template. The signed-in floor does the same behind what every page of a
review does first: the session's user (Django's auth middleware) and their membership of the
review (reviews.queries.review_for_user). It is reported for information; the target is
judged on the floor. Neither is part of the app; only the benchmark's gunicorn server
(DJANGO_SETTINGS_MODULE=benchmarks.screening_settings) serves them.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from reviews.models import Record
from reviews.queries import review_for_user

FLOOR_TEMPLATE = """<article id="record-{{ record.id }}">
<h1>{{ record.display_title }}</h1>
<p>{{ record.authors|join:"; " }}</p>
<p>{{ record.citation }}</p>
<div>{{ record.abstract|linebreaksbr }}</div>
</article>"""

_template = None


def _render(request, record):
    global _template
    if _template is None:
        _template = engines["django"].from_string(FLOOR_TEMPLATE)
    return HttpResponse(_template.render({"record": record}, request))


def floor(request, pk):
    return _render(request, Record.objects.get(pk=pk))


@login_required
def floor_signed_in(request, slug, pk):
    review, _ = review_for_user(request.user, slug)
    return _render(request, Record.objects.get(pk=pk, review=review))


urlpatterns = [
    path("bench/floor/<int:pk>/", floor, name="bench-floor"),
    path("bench/floor/<slug:slug>/<int:pk>/", floor_signed_in, name="bench-floor-signed-in"),
    path("", include("config.urls")),
]
