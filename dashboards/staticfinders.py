"""Serve plotly.js from the installed plotly package as the static file `plotly/plotly.min.js`.

The file stays in site-packages: runserver and WhiteNoise find it through this finder, and
`collectstatic` copies it into STATIC_ROOT (hashed and cached for a year with STATIC_MANIFEST).
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "plotly"
FILENAME = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILENAME}"
PACKAGE_DATA = Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=PACKAGE_DATA)
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path: str, find_all: bool = False):
        if path == STATIC_PATH and (PACKAGE_DATA / FILENAME).is_file():
            match = str(PACKAGE_DATA / FILENAME)
            return [match] if find_all else match
        return [] if find_all else None

    def list(self, ignore_patterns):
        yield FILENAME, self.storage
