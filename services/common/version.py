"""The running code's version, reported on /healthz and in every log line."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("rapport")
except PackageNotFoundError:  # running from a source tree without an install
    VERSION = "0.0.0+src"
