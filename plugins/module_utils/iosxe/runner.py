# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one IOS-XE resource task: the states of the resource modules over the codecs, the planner and a
transport.

``run(resource, args, connection_params, check_mode, diff)`` takes the validated module arguments and
returns the task result. ``rendered`` and ``parsed`` never connect; ``gathered`` only reads; the action
states read, plan, and (unless in check mode) apply, re-read and verify that the device now holds the
planned configuration. Every returned field has the authentication keys masked; connection secrets are
never part of a result.
"""

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import (
    DeviceError,
    open_transport,
)

ACTION_STATES = ("merged", "replaced", "overridden", "deleted")
MASK = "********"


def run(resource, args, connection_params, check_mode=False, diff=False):
    state = args.get("state") or "merged"
    try:
        want = resources.normalise(resource, args.get("config") or [])
    except ValueError as exc:
        return _failed(f"{resource}: invalid config: {exc}")
    if state == "rendered":
        return dict(
            changed=False,
            rendered=resources.mask_commands(resources.render_cli(resource, want)),
            xml=resources.mask_xml(resources.render_xml(resource, want)),
        )
    if state == "parsed":
        return _parsed(resource, args.get("running_config") or "")
    result = dict(changed=False)
    try:
        with open_transport(connection_params, args.get("transport") or "auto") as transport:
            result.update(transport=transport.name, transport_reason=getattr(transport, "reason", None))
            if state == "gathered":
                result["gathered"] = resources.mask(resource, _read(resource, transport))
                return result
            # The task as given, not its canonical form: merged must see defaults and false flags
            # the task spells out (role: WLAN over 3GPP resets the role).
            config = args.get("config") or []
            return _converge(resource, state, config, args, transport, check_mode, diff, result)
    except DeviceError as exc:
        return _device_failure(f"{resource} on {connection_params.host}", exc, result)


def _parsed(resource, text):
    try:
        entries = _parse(resource, text)
    except (ValueError, SyntaxError) as exc:  # xml.etree's ParseError is a SyntaxError
        return _failed(f"{resource}: running_config could not be parsed: {exc}")
    return dict(changed=False, parsed=resources.mask(resource, entries))


def _parse(resource, text):
    """Running-config text, or XML (a get-config reply, <data> or <config>) when it starts with '<'."""
    if text.lstrip().startswith("<"):
        return resources.parse_xml(resource, text)
    return resources.parse_cli(resource, text)


def _read(resource, transport):
    """The device's entries of the resource, normalised."""
    return resources.normalise(resource, _parse(resource, transport.get_config(resource)))


def _converge(resource, state, want, args, transport, check_mode, diff, result):
    plan = resources.plan(resource, want, _read(resource, transport), state)
    result.update(
        changed=plan.changed,
        before=resources.mask(resource, plan.before),
        after=resources.mask(resource, plan.after),
    )
    if transport.name == "cli":
        result["commands"] = resources.mask_commands(plan.commands) if plan.changed else []
    else:
        result["xml"] = resources.mask_xml(plan.xml) if plan.changed and plan.xml else None
    if diff:
        result["diff"] = dict(
            before=_config_text(resource, plan.before), after=_config_text(resource, plan.after)
        )
    if check_mode:
        return result
    if plan.changed:
        try:
            transport.apply(plan)
        except DeviceError as exc:
            if exc.kind == "rejected" and transport.name == "cli":
                result.update(_restore(resource, transport, plan.before))
            raise
        mismatch = differences(resource, plan.after, _read(resource, transport))
        if mismatch:
            return _failed(
                f"{resource}: the device accepted the change but does not hold it: {'; '.join(mismatch)}",
                **result,
            )
    save_when = args.get("save_when") or "never"
    if save_when == "always" or (save_when == "modified" and plan.changed):
        result.update(saved=True, save_result=transport.save())
    else:
        result["saved"] = False
    return result


def _restore(resource, transport, before):
    """After a CLI line was rejected, put the resource back the way it was (lines before the rejected one
    were accepted and are live). Returns the result fields that say whether that worked."""
    try:
        current = _read(resource, transport)
        back = (
            resources.plan(resource, before, current, "overridden")
            if before
            else resources.plan(resource, [], current, "deleted")
        )
        if back.changed:
            transport.apply(back)
        remaining = differences(resource, before, _read(resource, transport))
    except DeviceError as exc:
        return dict(restored=False, restore_error=_describe(exc))
    fields = dict(restored=not remaining, restore_commands=resources.mask_commands(back.commands))
    if remaining:
        fields["restore_error"] = "the device still differs from before in: " + "; ".join(remaining)
    return fields


def _config_text(resource, entries):
    """Running-config style text of the entries, for --diff (readable, keys masked)."""
    lines = resources.render_cli(resource, resources.mask(resource, entries))
    return "".join(line + "\n" for line in lines)


def _entry_key(entry):
    """What identifies an entry of a keyed list (the resources and their sub-lists)."""
    if "domain" in entry:
        return f"{entry.get('name')}/{entry['domain']}"
    return str(entry.get("name"))


def _flatten(value, path, out):
    if isinstance(value, dict):
        for name, item in value.items():
            _flatten(item, f"{path}.{name}" if path else name, out)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for item in value:
            _flatten(item, f"{path}[{_entry_key(item)}]", out)
    else:
        out[path] = value
    return out


def differences(resource, expected, actual):
    """Readable differences between two normalised entry lists, one per option, e.g.
    ``mag1/dn1.binding.lifetime: expected 3000, device has None``; key values stay masked."""
    del resource  # the entries carry their own keys
    want = _flatten({_entry_key(e): e for e in expected}, "", {})
    have = _flatten({_entry_key(e): e for e in actual}, "", {})
    found = []
    for path in sorted(set(want) | set(have)):
        if want.get(path) != have.get(path):
            secret = ".key." in f".{path}."
            shown = (MASK, MASK) if secret else (want.get(path), have.get(path))
            found.append(f"{path}: expected {shown[0]!r}, device has {shown[1]!r}")
    return found


def _describe(exc):
    """``<kind>: <device message> (at <line or path>)``, keys masked."""
    detail = resources.mask_commands([exc.detail])[0] if exc.detail else None
    return f"{exc.kind}: {exc.message}" + (f" (at {detail})" if detail else "")


def _device_failure(subject, exc, result):
    msg = f"{subject}: {_describe(exc)}"
    restored = result.get("restored")
    if restored is False:
        msg += f"; RESTORE FAILED, the configuration is left part-applied: {result.get('restore_error')}"
    elif restored:
        msg += "; the previous configuration was restored"
    # A NETCONF rejection changes nothing (atomic); a CLI one only when the restore failed.
    fields = dict(result, kind=exc.kind, device_message=exc.message, changed=restored is False)
    if exc.kind == "rejected" and exc.applied:
        fields["applied"] = resources.mask_commands(exc.applied)
    return _failed(msg, **fields)


def _failed(msg, **fields):
    fields.update(failed=True, msg=msg)
    fields.setdefault("changed", False)
    return fields
