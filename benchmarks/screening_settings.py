"""Settings for the gunicorn server of the screening benchmark (benchmarks/bench_screening.py).

The app's settings, plus two things the benchmark needs and the app must not have: a URLconf
with the "floor" view (benchmarks/screening_floor_urls.py), and a middleware that reports the
server's own time for each request in a `Server-Timing: app;dur=<ms>` header.
"""

import time

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "benchmarks.screening_floor_urls"


class ServerTimingMiddleware:
    """Outermost middleware: the time from entering the middleware stack to the finished
    response (every other middleware, the view and the template rendering included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed_ms:.3f}"
        return response


MIDDLEWARE = ["benchmarks.screening_settings.ServerTimingMiddleware", *MIDDLEWARE]
