# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the bundled agent (``agents/`` of the collection) into a wheel, on the controller.

A wheel installs with pip alone, offline, on a host with neither setuptools nor the ``wheel``
package, and nothing is compiled there.  The agent is pure Python, so the wheel is a zip of its
package plus the ``.dist-info`` files (PEP 427 / 376); it is written reproducibly (sorted entries,
fixed times and modes), so an unchanged agent gives the same bytes and a re-run copies nothing.
Name, version, dependencies and console scripts come from ``agents/pyproject.toml``.
"""

import base64
import hashlib
import os
import tomllib
import zipfile

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
SKIP_DIRS = {"__pycache__"}
WHEEL = "Wheel-Version: 1.0\nGenerator: netmobility.pmipv6\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
    ]
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _entry_points(project):
    scripts = project.get("scripts", {})
    if not scripts:
        return ""
    return "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in sorted(scripts.items()))


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _package_files(source, package):
    root = os.path.join(source, package)
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name.endswith((".py", ".pyi", ".typed")):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, source).replace(os.sep, "/"), path


def build(source, out_dir, package="pmipv6"):
    """Write ``<name>-<version>-py3-none-any.whl`` for the project in ``source``; return its path."""
    with open(os.path.join(source, "pyproject.toml"), "rb") as handle:
        project = tomllib.load(handle)["project"]
    dist = project["name"].replace("-", "_")
    info = f"{dist}-{project['version']}.dist-info"
    entries = [(arc, _read(path)) for arc, path in _package_files(source, package)]
    entries += [
        (f"{info}/METADATA", _metadata(project).encode()),
        (f"{info}/WHEEL", WHEEL.encode()),
    ]
    scripts = _entry_points(project)
    if scripts:
        entries.append((f"{info}/entry_points.txt", scripts.encode()))
    record = "".join(f"{arc},{_record_hash(data)},{len(data)}\n" for arc, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{dist}-{project['version']}-py3-none-any.whl")
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as wheel:
        for arc, data in entries:
            entry = zipfile.ZipInfo(arc, FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    os.replace(tmp, path)
    return path
