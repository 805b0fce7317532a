# Copyright: numberone.owu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for ansible-test's pip bootstrap script (get-pip-<version>.py).

ansible-test creates each sanity test's virtual environment with ``--without-pip`` and then
runs ``https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py`` to put pip in it.
That host is unreachable from the test machines (only PyPI and the Debian archive are), and
ansible-test's own error message says the script may be saved by hand to
``~/.ansible/test/cache/get_pip_<version>.py``. scripts/test.sh saves this file there when no
script is cached yet. It does what get-pip.py does, with pip taken from the Python installation
(ensurepip) instead of an embedded wheel: install pip into the running interpreter's environment,
then ``pip install`` the requested packages (``pip==<version>``, pinned by ansible-test) from PyPI.
"""

import subprocess
import sys

SKIPPED = ("--no-setuptools", "--no-wheel")


def main():
    """Bootstrap pip into sys.executable's environment and install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in SKIPPED]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
