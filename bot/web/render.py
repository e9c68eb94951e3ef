"""Neutral messages as HTML for the web chat. Every string is escaped: none of it is markup."""

from __future__ import annotations

from html import escape

from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    Context,
    Fields,
    Form,
    FormField,
    Link,
    Message,
    Paragraph,
    PersonPicker,
    TextInput,
    safe_url,
)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _button(button: Button, label_extra: str = "") -> str:
    classes = "btn" + (f" {button.style}" if button.style else "")
    confirm = ""
    if button.confirm is not None:
        c = button.confirm
        confirm = (
            f' data-confirm-title="{_attr(c.title)}" data-confirm-text="{_attr(c.text)}"'
            f' data-confirm-yes="{_attr(c.yes)}" data-confirm-no="{_attr(c.no)}"'
        )
    return (
        f'<button type="button" class="{classes}" data-action="{_attr(button.action)}"'
        f' data-value="{_attr(button.value)}"{confirm}>{escape(button.label)}{label_extra}</button>'
    )


def _form_field(field: FormField, prefix: str) -> str:
    """One field of a form: its label, its control, its hint and, if refused, why."""
    control_id = f"{prefix}-{field.name}"
    notes = []
    if field.hint:
        notes.append(f'<p class="context" id="{control_id}-hint">{escape(field.hint)}</p>')
    if field.error:
        notes.append(
            f'<p class="field-error" id="{control_id}-error">{escape(field.error)}</p>'
        )
    described = " ".join(
        f"{control_id}-{part}" for part, text in (("hint", field.hint), ("error", field.error))
        if text
    )
    attrs = f' id="{control_id}" data-field="{_attr(field.name)}"'
    if described:
        attrs += f' aria-describedby="{described}"'
    if field.error:
        attrs += ' aria-invalid="true"'
    if field.options:
        options = "".join(
            f'<option value="{_attr(o.value)}"'
            f"{' selected' if o.value == field.value else ''}>{escape(o.label)}</option>"
            for o in field.options
        )
        # Nothing chosen yet: an empty first option, or the browser would show (and send) the
        # first of them as if it had been chosen.
        if field.value not in {o.value for o in field.options}:
            options = '<option value="" selected></option>' + options
        control = f"<select{attrs}>{options}</select>"
    else:
        control = (
            f'<textarea{attrs} maxlength="{field.max_length}"'
            f' rows="{3 if field.multiline else 1}">{escape(field.value)}</textarea>'
        )
    label = f'<label for="{control_id}">{escape(field.label)}</label>'
    return f'<div class="form-field">{label}{control}{"".join(notes)}</div>'


def _form(form: Form, prefix: str) -> str:
    fields = "".join(_form_field(field, prefix) for field in form.fields)
    submit = _button(Button(form.action, form.submit_label, form.value, "primary"))
    return f'<div class="form" data-form>{fields}{submit}</div>'


def _block(
    block: Block, prefix: str, directory: list[tuple[str, str]], question: str | None = None
) -> str:
    """`question` is the id of the paragraph before the block, which names a group of choices."""
    labelled = f' aria-labelledby="{question}"' if question else ""
    if isinstance(block, Paragraph):
        return f'<p id="{prefix}">{escape(block.text)}</p>'
    if isinstance(block, Context):
        return f'<p class="context">{escape(block.text)}</p>'
    if isinstance(block, Fields):
        rows = "".join(
            f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
            for label, value in block.items
        )
        return f'<dl class="fields">{rows}</dl>'
    if isinstance(block, Actions):
        return '<div class="actions">' + "".join(_button(b) for b in block.buttons) + "</div>"
    if isinstance(block, Choice):
        if block.filtered and not block.multi:
            # A long list: a menu the browser lets people type in to find an option.
            options = "".join(
                f'<option value="{_attr(o.value)}"'
                f"{' selected' if o.value in block.selected else ''}>{escape(o.label)}</option>"
                for o in block.options
            )
            submit = _button(
                Button(block.action, block.submit_label or "OK", block.value, "primary")
            )
            return (
                f'<div class="picker" data-collect="select"><select id="{prefix}-choice"'
                f'{labelled}><option value=""></option>{options}</select>{submit}</div>'
            )
        if not block.multi:
            buttons = "".join(
                f'<button type="button" class="btn choice" data-action="{_attr(block.action)}"'
                f' data-value="{_attr(block.value)}" data-selected="{_attr(o.value)}"'
                f' aria-pressed="{"true" if o.value in block.selected else "false"}">'
                f"{escape(o.label)}</button>"
                for o in block.options
            )
            return f'<div class="choices" role="group"{labelled}>{buttons}</div>'
        boxes = "".join(
            f'<label><input type="checkbox" name="{prefix}-choice" value="{_attr(o.value)}"'
            f"{' checked' if o.value in block.selected else ''}> {escape(o.label)}</label>"
            for o in block.options
        )
        submit = _button(Button(block.action, block.submit_label or "OK", block.value, "primary"))
        return (
            f'<fieldset class="checks" data-collect="checkbox"{labelled}>{boxes}{submit}</fieldset>'
        )
    if isinstance(block, PersonPicker):
        picked = {o.value for o in block.selected}
        options = "".join(
            f'<option value="{_attr(external_id)}"'
            f"{' selected' if external_id in picked else ''}>{escape(name)}</option>"
            for external_id, name in directory
            if external_id not in block.exclude
        )
        multiple = " multiple" if block.multi else ""
        size = f' size="{min(6, max(2, len(directory)))}"' if block.multi else ""
        placeholder = (
            "" if block.multi else f'<option value="">{escape(block.placeholder)}</option>'
        )
        submit = _button(Button(block.action, block.submit_label or "OK", block.value, "primary"))
        return (
            f'<div class="picker" data-collect="select"><label for="{prefix}-people">'
            f"{escape(block.placeholder)}</label>"
            f'<select id="{prefix}-people"{multiple}{size}>{placeholder}{options}</select>{submit}</div>'
        )
    if isinstance(block, Link):
        if not safe_url(block.url):
            return f'<p class="link">{escape(block.label)}</p>'
        # A tab of its own keeps the chat open; noreferrer keeps a token in the URL private.
        return (
            f'<p class="link"><a class="btn primary" href="{_attr(block.url)}"'
            f' target="_blank" rel="noopener noreferrer">{escape(block.label)}</a></p>'
        )
    if isinstance(block, Form):
        return _form(block, prefix)
    if isinstance(block, TextInput):
        return (
            f'<div class="text-input"><label for="{prefix}-text">{escape(block.label)}</label>'
            f'<textarea id="{prefix}-text" data-text maxlength="{block.max_length}"'
            f' rows="{3 if block.multiline else 1}">{escape(block.value)}</textarea></div>'
        )
    raise TypeError(f"unknown block {block!r}")


def render(
    message: Message,
    *,
    message_id: int,
    directory: list[tuple[str, str]],
    sender: str | None = None,
) -> str:
    """One message as an `<article>`; `sender` is the name of a person, None for the bot."""
    prefix = f"m{message_id}"
    parts = [f'<p class="sender">{escape(sender)}</p>'] if sender else []
    if message.title:
        parts.append(f"<h3>{escape(message.title)}</h3>")
    if message.blocks:
        question: str | None = None
        for i, block in enumerate(message.blocks):
            parts.append(_block(block, f"{prefix}-{i}", directory, question))
            if isinstance(block, Paragraph):
                question = f"{prefix}-{i}"
    else:
        parts.append(f"<p>{escape(message.text)}</p>")
    who = "person" if sender else "bot"
    return f'<article class="msg {who}" id="{prefix}" data-id="{message_id}">{"".join(parts)}</article>'
