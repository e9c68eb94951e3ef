"""A form as the renderers' tests show it: a field with a hint, a refused field with what was
typed (markup and markdown, to be escaped), and a menu with its choice made."""

from __future__ import annotations

from dialogs.messages import Form, FormField, Option

TYPED = "Short <b> **x**"
FORM = Form(
    "dlg:handle:form",
    (
        FormField("handle", "Handle?", "ki_neuro", hint="For example ki."),
        FormField("purpose", "Purpose?", TYPED, hint="At least 10 characters.",
                  error="Please write at least 10 characters.", multiline=True),
        FormField("scope", "Scope?", "unit", options=(Option("unit", "A unit"),
                                                     Option("wide", "University-wide"))),
    ),
    "Send the answers",
)
