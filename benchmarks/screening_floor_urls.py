"""The screening benchmark's URLconf: the app's URLs plus the "floor" view.

The floor is the least a page showing one record can cost: fetch the record by primary key
and render a small template. It is not part of the app; only the benchmark's gunicorn
server (DJANGO_SETTINGS_MODULE=benchmarks.screening_settings) serves it.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from reviews.models import Record

FLOOR_TEMPLATE = """<article id="record-{{ record.id }}">
<h1>{{ record.display_title }}</h1>
<p>{{ record.authors|join:"; " }}</p>
<p>{{ record.citation }}</p>
<div>{{ record.abstract|linebreaksbr }}</div>
</article>"""

_template = None


def floor(request, pk):
    global _template
    if _template is None:
        _template = engines["django"].from_string(FLOOR_TEMPLATE)
    record = Record.objects.get(pk=pk)
    return HttpResponse(_template.render({"record": record}, request))


urlpatterns = [
    path("bench/floor/<int:pk>/", floor, name="bench-floor"),
    path("", include("config.urls")),
]
