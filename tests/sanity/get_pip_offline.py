"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its sanity-test
virtualenvs.  That download comes from a host these machines cannot reach; this does the same
job offline: pip from the standard library (ensurepip), then the pip version ansible-test asked
for from the package index pip is configured with.  The Makefile copies it to the cache path
ansible-test looks in (~/.ansible/test/cache/get_pip_<version>.py)."""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}  # get-pip.py options pip install does not know


def main() -> int:
    if subprocess.call([sys.executable, "-m", "ensurepip", "--default-pip"]) != 0:
        return 1
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args])


if __name__ == "__main__":
    sys.exit(main())
