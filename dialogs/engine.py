"""A conversation as an explicit state machine: named steps, one question at a time.

The engine owns the moves every dialog shares: validation with the question asked again,
`back`, `cancel`, `help`, the closing summary with Submit / Edit a field / Cancel, and editing
one field from there. A dialog supplies its steps and what Submit does. The caller loads the
`Progress` from the database before a turn and saves it after (see `dialogs.router`).

Every card of a conversation names it: each of its buttons, menus, pickers and forms carries
`<dialog>:<instance>` as its value (`CONVERSATION`), and a click that names another
conversation, or none (a card sent before cards named theirs), is stale: it asks the current
question again and changes nothing, so a card left over from one conversation can never answer
another's question, let alone submit it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import people
from data.directory import Directory
from data.errors import DomainError, Invalid
from data.models import Person
from data.rules import check_text
from dialogs import words
from dialogs.answered import answered
from dialogs.explain import explain
from dialogs.i18n import N_, Translator
from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    Confirm,
    Context,
    Fields,
    Form,
    FormField,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
)

SUMMARY = "summary"
EDITING = "_editing"
# The person chose to answer one question at a time rather than on a form.
ONE_BY_ONE = "_one_by_one"
# The steps a submitted form answered: the questions that follow skip them.
FORM_ANSWERED = "_form_answered"
# A form sent back with refusals: {"values": {step: typed}, "errors": {step: message}}.
FORM_DRAFT = "_form_draft"
# Which conversation this is: an instance drawn when it starts, never reused. With the dialog's
# name it is what the conversation's cards carry (`Engine.conversation`).
CONVERSATION = "_conversation"
# What a dialog's actions start with (`dlg:<step>:<verb>`).
DIALOG_ACTION = "dlg:"
# What a click on a card that is not the current one says above the current question.
OUTDATED = N_("That question has already been answered. Here is where we are now.")
ENDED = N_("That button belongs to a conversation that has ended. Here is where we are now.")


@dataclass
class Ctx:
    session: AsyncSession
    person: Person
    platform: str
    tr: Translator
    now: datetime
    # Looks up people by the ids a platform's person picker returns.
    resolve_people: Callable[[AsyncSession, tuple[str, ...]], Awaitable[list[Person | None]]]
    # A remote directory (Microsoft Graph) to ask about people the imported one lacks.
    directory: Directory | None = None
    # Looks up a colleague the bot has never met by work e-mail on the person's platform
    # (Slack's users.lookupByEmail), made known in the turn's transaction; None: nobody.
    find_by_email: Callable[[AsyncSession, str], Awaitable[Person | None]] | None = None
    # The acting person's id on `platform`, so that a picker can leave them out.
    external_id: str = ""
    # The locale of the client the person is writing from, as the platform gave it (None:
    # not said), for /language app.
    client_locale: str | None = None


@dataclass(frozen=True)
class Answer:
    text: str = ""
    selected: tuple[str, ...] = ()
    picked: bool = False
    # The button's verb (`dlg:<step>:<verb>`), for steps that offer more than one kind.
    verb: str = ""


@dataclass(frozen=True)
class Reply:
    message: Message
    # Only the person who acted sees it (Slack ephemeral); elsewhere an ordinary reply.
    ephemeral: bool = False
    # Rewrites the card the person answered (dialogs.answered) instead of being sent anew:
    # the one clicked, as the platform names it, or else the newest card with actions that
    # start with `card_of` ("dlg:<step>:"); where there is none, it is not sent at all.
    in_place: bool = False
    card_of: str = ""
    # With `in_place`: where there is no card to rewrite, sent as a new message instead (the
    # next page of a list, a card shown again as it now is).
    or_new: bool = False


@dataclass
class Progress:
    dialog: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    turn: int = 0
    finished: bool = False
    # What `Dialog.prepare` looked up for this turn's prompt (lists to pick from): never saved.
    lookups: dict[str, Any] = field(default_factory=dict)


def _instance() -> str:
    """A new conversation's instance: drawn at random, so that no two of a person's
    conversations (the same dialog twice at the same moment included) share one."""
    return secrets.token_hex(6)


class Step:
    """One question. Subclasses say what input it takes and how an answer is checked."""

    def __init__(self, name: str, label: str, question: str, help_text: str) -> None:
        self.name = name
        self.label = label
        self.question = question
        self.help_text = help_text

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        return []

    async def prefill(self, ctx: Ctx, progress: Progress, inputs: list[Block]) -> list[Block]:
        """`inputs` with the earlier answer filled in where it needs looking up (people)."""
        return inputs

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr("Type your answer below.")

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        raise NotImplementedError

    async def show(self, ctx: Ctx, value: Any) -> str:
        return str(value)

    def applies(self, progress: Progress) -> bool:
        """Whether this question is asked, given the answers so far (most always are)."""
        return True

    def field(self, ctx: Ctx, progress: Progress, value: str) -> FormField | None:
        """This question as a field of a form, showing `value`; None: not on a form."""
        return None


@dataclass(frozen=True)
class FormGroup:
    """Questions a person may answer together on one form, offered where `first` is asked.

    The group need not be consecutive: once the form is sent, the questions between its
    steps are asked and its own are skipped.
    """

    first: str
    steps: tuple[str, ...]
    # What the form says above its fields, and its Help (catalogue msgids).
    intro: str
    help_text: str


class Dialog:
    name: str
    title: str
    steps: list[Step]
    # What the closing summary says and offers (catalogue msgids).
    summary_text: str = N_("Here is your request. Submit it, edit a field, or cancel.")
    summary_help: str = N_(
        "Check your answers. Submit sends the request to your manager; Edit a field changes one answer; Cancel throws the request away."
    )
    submit_label: str = N_("Submit")
    use_buttons: str = N_("Please use the buttons: Submit, Edit a field or Cancel.")
    cancel_title: str = N_("Cancel the request?")
    cancel_text: str = N_("Your answers will be thrown away.")
    # Asked once more before Submit does something that cannot be undone (title, text, yes).
    submit_confirm: tuple[str, str, str] | None = None
    # Questions that may be answered on one form (where the platform shows forms).
    forms: tuple[FormGroup, ...] = ()

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def asked(self, progress: Progress) -> list[Step]:
        """The steps that apply to these answers, in order."""
        return [step for step in self.steps if step.applies(progress)]

    def after(self, progress: Progress, step: Step) -> str:
        """The step that follows `step` once it has been answered: the next that applies."""
        if progress.data.get(EDITING):
            return SUMMARY
        index = self.steps.index(step)
        skipped = set(progress.data.get(FORM_ANSWERED, ()))
        following = [
            s for s in self.steps[index + 1 :] if s.applies(progress) and s.name not in skipped
        ]
        return following[0].name if following else SUMMARY

    def form_at(self, progress: Progress) -> FormGroup | None:
        """The form offered for the current question, if any: never while editing one answer
        from the summary, nor once the person chose one question at a time."""
        if progress.data.get(EDITING) or progress.data.get(ONE_BY_ONE):
            return None
        return next((g for g in self.forms if g.first == progress.step), None)

    async def prepare(self, ctx: Ctx, progress: Progress) -> None:
        """Before a question is shown: look up what the dialog needs (by default nothing)."""

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        raise NotImplementedError

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [Reply(Message(text=ctx.tr("Cancelled. Nothing was sent.")))]


class Engine:
    def __init__(self, dialogs: list[Dialog]) -> None:
        self.dialogs = {dialog.name: dialog for dialog in dialogs}

    def start(self, dialog_name: str, data: dict[str, Any] | None = None) -> Progress:
        dialog = self.dialogs[dialog_name]
        step = SUMMARY if data else dialog.steps[0].name
        progress = Progress(dialog=dialog_name, step=step, data=dict(data or {}))
        progress.data[CONVERSATION] = _instance()
        return progress

    @staticmethod
    def conversation(progress: Progress) -> str:
        """What the conversation's cards carry as their value: `<dialog>:<instance>`. One
        that began before conversations had an instance is given one now (saved with it), so
        that the cards it sends from now on name it."""
        instance = progress.data.get(CONVERSATION)
        if not isinstance(instance, str) or not instance:
            instance = progress.data[CONVERSATION] = _instance()
        return f"{progress.dialog}:{instance}"

    @staticmethod
    def _ours(progress: Progress, value: str) -> bool:
        """Whether a card carrying `value` is one of this conversation's."""
        instance = progress.data.get(CONVERSATION)
        return isinstance(instance, str) and bool(instance) and (
            value == f"{progress.dialog}:{instance}"
        )

    async def resume(self, ctx: Ctx, progress: Progress, notice: str = "") -> list[Reply]:
        """The conversation asked to start again while it is in progress: taken up where it
        is, its current question asked again, nothing lost."""
        return await self.prompt(
            ctx, progress, notice or ctx.tr("Let's continue where you left off.")
        )

    async def busy(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        """Another conversation asked to start while this one is in progress: refused, this
        one's current question asked again (its answers are never thrown away)."""
        notice = ctx.tr(
            "You are in the middle of another conversation with me. Finish it, or type cancel to stop it, before starting a new one."
        )
        return await self.prompt(ctx, progress, notice)

    def applying(self, progress: Progress, name: str) -> str:
        """Step `name`, or when it does not apply to the answers so far (a dialog started
        further on with some answers given), the first after it that does."""
        dialog = self.dialogs[progress.dialog]
        step = next((s for s in dialog.steps if s.name == name), None)
        if step is None or step.applies(progress):
            return name
        return dialog.after(progress, step)

    async def prompt(
        self, ctx: Ctx, progress: Progress, notice: str = "", *, single: bool = False
    ) -> list[Reply]:
        """The current question (or the summary), with `notice` above it; the form that holds
        the question instead, unless `single` (an answer typed to it was refused)."""
        dialog = self.dialogs[progress.dialog]
        await dialog.prepare(ctx, progress)
        group = None if single else dialog.form_at(progress)
        if progress.step == SUMMARY:
            message = await self._summary(ctx, dialog, progress)
        elif group is not None:
            message = self._form(ctx, dialog, progress, group)
        else:
            message = await self._question(ctx, dialog, progress)
        if notice:
            message = Message(
                text=f"{notice} {message.text}",
                title=message.title,
                blocks=(Paragraph(notice), *message.blocks),
            )
        return [Reply(self._naming(progress, message))]

    def _naming(self, progress: Progress, message: Message) -> Message:
        """`message` with each of its dialog actions carrying the conversation as its value
        (a text field's value is its text: the button under it that sends it carries it)."""
        value = self.conversation(progress)

        def named(block: Block) -> Block:
            if isinstance(block, Actions):
                return replace(block, buttons=tuple(
                    replace(b, value=value) if b.action.startswith(DIALOG_ACTION) else b
                    for b in block.buttons
                ))
            if isinstance(block, Choice | PersonPicker | Form) and block.action.startswith(
                DIALOG_ACTION
            ):
                return replace(block, value=value)
            return block

        return replace(message, blocks=tuple(named(block) for block in message.blocks))

    async def on_text(self, ctx: Ctx, progress: Progress, text: str) -> list[Reply]:
        word = words.command_word(text)
        what = word if word in ("cancel", "back", "help", "submit") else "answer"
        return await self._retiring(ctx, progress, what, lambda: self._typed(ctx, progress, text))

    async def _typed(self, ctx: Ctx, progress: Progress, text: str) -> list[Reply]:
        """A typed message while the dialog waits: a word that moves it, or an answer."""
        word = words.command_word(text)
        if word == "cancel":
            return await self._cancel(ctx, progress)
        if word == "back":
            return await self._back(ctx, progress)
        if word == "help":
            return await self._help(ctx, progress)
        if progress.step == SUMMARY:
            if word == "submit":
                return await self._submit(ctx, progress)
            return await self.prompt(
                ctx, progress, ctx.tr(self.dialogs[progress.dialog].use_buttons)
            )
        return await self._answer(ctx, progress, Answer(text=text))

    async def on_action(
        self,
        ctx: Ctx,
        progress: Progress,
        step: str,
        what: str,
        selected: tuple[str, ...],
        text: str,
        values: tuple[tuple[str, str], ...] = (),
        shown: Message | None = None,
        *,
        conversation: str,
    ) -> list[Reply]:
        """A click on the card of `step` of `conversation` (the value the card's action
        carried); `shown` is that card as it was sent, when the platform named it (what the
        answered card keeps: a notice it carried, the intro)."""
        if not self._ours(progress, conversation):
            # A card of a conversation that has ended, or one sent before cards named theirs:
            # never an answer to this one's question, whatever step it asked (every dialog
            # has a summary, and its Submit does what that dialog does).
            return await self.prompt(ctx, progress, ctx.tr(ENDED if conversation else OUTDATED))
        if step != progress.step:
            # Any button of an older prompt, Cancel included: answers are never lost to a
            # click on a message scrolled past. The current prompt has its own Cancel.
            return await self.prompt(ctx, progress, ctx.tr(OUTDATED))
        return await self._retiring(
            ctx,
            progress,
            what,
            lambda: self._clicked(ctx, progress, what, selected, text, values),
            selected,
            shown,
        )

    async def _retiring(
        self,
        ctx: Ctx,
        progress: Progress,
        what: str,
        move: Callable[[], Awaitable[list[Reply]]],
        selected: tuple[str, ...] = (),
        shown: Message | None = None,
    ) -> list[Reply]:
        """Make `move`, the answer `what` to the current card; the card, rewritten to show
        what was chosen without anything to click, comes first (`Reply.in_place`)."""
        step = progress.step
        # The card as it was answered: as sent, else composed again before the answer moves
        # the conversation on (a typed answer: without the notice it may have carried).
        if shown is not None:
            card = shown
        elif what == "edit_field":
            card = self._edit_menu(ctx, progress)
        else:
            card = (await self.prompt(ctx, progress))[0].message
        turn = progress.turn
        replies = await move()
        chosen = await self._chosen(ctx, progress, step, turn, what, selected)
        if chosen is None:
            return replies
        line = ctx.tr("✓ You chose: {answer}", answer=chosen)
        return [Reply(answered(card, line), in_place=True, card_of=f"dlg:{step}:"), *replies]

    async def _clicked(
        self,
        ctx: Ctx,
        progress: Progress,
        what: str,
        selected: tuple[str, ...],
        text: str,
        values: tuple[tuple[str, str], ...] = (),
    ) -> list[Reply]:
        """A click on the current prompt: the move it asks for."""
        if what == "cancel":
            return await self._cancel(ctx, progress)
        if what == "back":
            return await self._back(ctx, progress)
        if what == "help":
            return await self._help(ctx, progress)
        if progress.step == SUMMARY:
            if what == "submit":
                return await self._submit(ctx, progress)
            if what == "edit":
                return [Reply(self._edit_menu(ctx, progress))]
            if what == "edit_field" and selected:
                return await self._edit(ctx, progress, selected[0])
            return await self.prompt(ctx, progress)
        group = self.dialogs[progress.dialog].form_at(progress)
        if what == "form" and group is not None:
            return await self._form_answers(ctx, progress, group, dict(values))
        if what == "single":
            progress.data[ONE_BY_ONE] = True
            progress.data.pop(FORM_DRAFT, None)
            return await self.prompt(ctx, progress)
        answer = Answer(text=text, selected=selected, picked=what == "pick", verb=what)
        return await self._answer(ctx, progress, answer)

    async def _chosen(
        self,
        ctx: Ctx,
        progress: Progress,
        step: str,
        turn: int,
        what: str,
        selected: tuple[str, ...],
    ) -> str | None:
        """What the clicked card shows was chosen; None when it stays as it was (an answer
        refused: the question is asked again, and the card may still be answered)."""
        dialog = self.dialogs[progress.dialog]
        moves = {"cancel": N_("Cancel"), "back": N_("Back"), "help": N_("Help")}
        if what in moves:
            return ctx.tr(moves[what])
        if step == SUMMARY:
            if what == "submit" and (progress.finished or progress.turn != turn):
                return ctx.tr(dialog.submit_label)
            if what == "edit":
                return ctx.tr("Edit a field")
            if what == "edit_field" and selected and progress.step == selected[0]:
                return ctx.tr(dialog.step(selected[0]).label)
            return None
        if progress.turn == turn or step not in progress.data:
            return None
        group = next((g for g in dialog.forms if g.first == step), None)
        if what == "form" and group is not None:
            # A form answers several questions: the card says what each was answered.
            shown = [
                f"{ctx.tr(dialog.step(name).label)}: "
                f"{await dialog.step(name).show(ctx, progress.data[name])}"
                for name in group.steps
                if name in progress.data
            ]
            return "; ".join(shown)
        return await dialog.step(step).show(ctx, progress.data[step])

    async def _answer(self, ctx: Ctx, progress: Progress, answer: Answer) -> list[Reply]:
        dialog = self.dialogs[progress.dialog]
        step = dialog.step(progress.step)
        try:
            value = await step.accept(ctx, progress, answer)
        except DomainError as error:
            # Typed to a form's first question: the person is answering one at a time.
            return await self.prompt(ctx, progress, explain(ctx.tr, error), single=True)
        progress.data[step.name] = value
        self._go(progress, dialog.after(progress, step))
        if progress.step == SUMMARY:
            progress.data.pop(EDITING, None)
        return await self.prompt(ctx, progress)

    async def _form_answers(
        self, ctx: Ctx, progress: Progress, group: FormGroup, values: dict[str, str]
    ) -> list[Reply]:
        """A sent form: each answer checked as its question checks it; all are kept, or the
        form comes back with the refusals beside the fields and everything typed in it."""
        dialog = self.dialogs[progress.dialog]
        steps = [dialog.step(name) for name in group.steps if dialog.step(name).applies(progress)]
        accepted: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for step in steps:
            try:
                accepted[step.name] = await step.accept(
                    ctx, progress, Answer(text=values.get(step.name, ""))
                )
            except DomainError as error:
                errors[step.name] = explain(ctx.tr, error)
        if errors:
            typed = {step.name: values.get(step.name, "") for step in steps}
            progress.data[FORM_DRAFT] = {"values": typed, "errors": errors}
            return await self.prompt(
                ctx, progress, ctx.tr("Some answers need changing: see the note under each.")
            )
        progress.data.pop(FORM_DRAFT, None)
        progress.data.update(accepted)
        progress.data[FORM_ANSWERED] = list(accepted)
        self._go(progress, dialog.after(progress, dialog.step(group.first)))
        return await self.prompt(ctx, progress)

    def _go(self, progress: Progress, step: str) -> None:
        progress.history.append(progress.step)
        progress.step = step
        progress.turn += 1

    async def _back(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        if not progress.history:
            return await self.prompt(ctx, progress, ctx.tr("This is the first question."))
        progress.step = progress.history.pop()
        progress.turn += 1
        if progress.step == SUMMARY:
            # Back out of an edit; going back within one (say from the handle a new platform
            # needs to the platform) still returns to the summary once answered.
            progress.data.pop(EDITING, None)
        return await self.prompt(ctx, progress)

    async def _help(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        group = self.dialogs[progress.dialog].form_at(progress)
        if progress.step == SUMMARY:
            text = ctx.tr(self.dialogs[progress.dialog].summary_help)
        elif group is not None:
            text = ctx.tr(group.help_text)
        else:
            text = ctx.tr(self.dialogs[progress.dialog].step(progress.step).help_text)
        general = ctx.tr("You can type back to go to the previous question, or cancel to stop.")
        return await self.prompt(ctx, progress, f"{text} {general}")

    async def _cancel(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        progress.finished = True
        return await self.dialogs[progress.dialog].cancelled(ctx, progress)

    async def _submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        dialog = self.dialogs[progress.dialog]
        try:
            replies = await dialog.submit(ctx, progress)
        except Invalid as error:
            # The domain found a problem the step checks could not (say a director was
            # removed meanwhile): take the person to the answer that needs changing.
            field_name = error.params.get("field")
            if field_name in {s.name for s in dialog.steps}:
                progress.data[EDITING] = True
                self._go(progress, str(field_name))
            return await self.prompt(ctx, progress, explain(ctx.tr, error))
        progress.finished = True
        return replies

    def _edit_menu(self, ctx: Ctx, progress: Progress) -> Message:
        dialog = self.dialogs[progress.dialog]
        options = tuple(Option(step.name, ctx.tr(step.label)) for step in dialog.asked(progress))
        menu = Message(
            text=ctx.tr("Which answer do you want to change?"),
            blocks=(
                Paragraph(ctx.tr("Which answer do you want to change?")),
                Choice(action=f"dlg:{SUMMARY}:edit_field", options=options),
            ),
        )
        return self._naming(progress, menu)

    async def _edit(self, ctx: Ctx, progress: Progress, step_name: str) -> list[Reply]:
        dialog = self.dialogs[progress.dialog]
        if step_name not in {s.name for s in dialog.asked(progress)}:
            return await self.prompt(ctx, progress)
        progress.data[EDITING] = True
        self._go(progress, step_name)
        return await self.prompt(ctx, progress)

    async def _question(self, ctx: Ctx, dialog: Dialog, progress: Progress) -> Message:
        step = dialog.step(progress.step)
        asked = dialog.asked(progress)
        number = asked.index(step) + 1 if step in asked else len(asked)
        question = ctx.tr(step.question)
        controls = [Button(f"dlg:{step.name}:help", ctx.tr("Help"))]
        if progress.history:
            controls.insert(0, Button(f"dlg:{step.name}:back", ctx.tr("Back")))
        controls.append(Button(f"dlg:{step.name}:cancel", ctx.tr("Cancel")))
        # Back or Edit a field: the earlier answer, in words too, for what no platform can
        # preselect (a person picker) and for anyone who reads rather than looks.
        inputs = await step.prefill(ctx, progress, step.inputs(ctx, progress))
        current: list[Block] = []
        prefilled = any(isinstance(b, TextInput) and b.value for b in inputs)
        if progress.data.get(step.name) is not None and not prefilled:
            shown = await step.show(ctx, progress.data[step.name])
            current = [Context(ctx.tr("Now: {answer}", answer=shown))] if shown else []
        blocks: list[Block] = [
            Paragraph(question),
            *inputs,
            *current,
            Context(step.hint(ctx, progress)),
            Actions(tuple(controls)),
        ]
        title = ctx.tr(
            "{title}: question {number} of {total}",
            title=ctx.tr(dialog.title),
            number=number,
            total=len(asked),
        )
        return Message(text=question, title=title, blocks=tuple(blocks))

    def _form(self, ctx: Ctx, dialog: Dialog, progress: Progress, group: FormGroup) -> Message:
        """The group's questions on one form, with what was typed (or answered) in it."""
        draft = progress.data.get(FORM_DRAFT) or {}
        typed: dict[str, str] = draft.get("values", {})
        errors: dict[str, str] = draft.get("errors", {})
        fields: list[FormField] = []
        for name in group.steps:
            step = dialog.step(name)
            if not step.applies(progress):
                continue
            answered = progress.data.get(name)
            value = typed.get(name, "" if answered is None else str(answered))
            found = step.field(ctx, progress, value)
            if found is not None:
                fields.append(replace(found, error=errors.get(name, "")))
        intro = ctx.tr(group.intro)
        controls = [
            Button(f"dlg:{group.first}:single", ctx.tr("One at a time")),
            Button(f"dlg:{group.first}:help", ctx.tr("Help")),
            Button(f"dlg:{group.first}:cancel", ctx.tr("Cancel")),
        ]
        if progress.history:
            controls.insert(0, Button(f"dlg:{group.first}:back", ctx.tr("Back")))
        blocks: list[Block] = [
            Paragraph(intro),
            Form(f"dlg:{group.first}:form", tuple(fields), ctx.tr("Send the answers")),
            Context(
                ctx.tr(
                    "Every field is needed. You can also type the answers one at a time: click One at a time."
                )
            ),
            Actions(tuple(controls)),
        ]
        return Message(text=intro, title=ctx.tr(dialog.title), blocks=tuple(blocks))

    async def _summary(self, ctx: Ctx, dialog: Dialog, progress: Progress) -> Message:
        items: list[tuple[str, str]] = []
        for step in dialog.asked(progress):
            if step.name in progress.data:
                items.append((ctx.tr(step.label), await step.show(ctx, progress.data[step.name])))
        text = ctx.tr(dialog.summary_text)
        cancel_confirm = Confirm(
            title=ctx.tr(dialog.cancel_title),
            text=ctx.tr(dialog.cancel_text),
            yes=ctx.tr("Yes, cancel"),
            no=ctx.tr("No, keep it"),
        )
        submit_confirm = None
        if dialog.submit_confirm is not None:
            title, body, yes = dialog.submit_confirm
            submit_confirm = Confirm(
                title=ctx.tr(title), text=ctx.tr(body), yes=ctx.tr(yes), no=ctx.tr("Go back")
            )
        return Message(
            text=text,
            title=ctx.tr(dialog.title),
            blocks=(
                Paragraph(text),
                Fields(tuple(items)),
                Actions(
                    (
                        Button(
                            f"dlg:{SUMMARY}:submit",
                            ctx.tr(dialog.submit_label),
                            style="danger" if submit_confirm else "primary",
                            confirm=submit_confirm,
                        ),
                        Button(f"dlg:{SUMMARY}:edit", ctx.tr("Edit a field")),
                        Button(
                            f"dlg:{SUMMARY}:cancel",
                            ctx.tr("Cancel"),
                            style="danger",
                            confirm=cancel_confirm,
                        ),
                    )
                ),
            ),
        )


# Steps every dialog can use.

# A text allowed more characters than this gets a field of several lines on a form.
SHORT_FIELD = 200


def typed_again(ctx: Ctx, progress: Progress, name: str, maximum: int) -> list[Block]:
    """A typed answer given before (Back, Edit a field), in a field ready to change and save;
    none the first time the question is asked, when the answer is typed in the chat. The field's
    value is its text, so Save is a button of its own: it carries the conversation, like every
    action of the card (`Engine._naming`), and sends what the field holds with it."""
    current = progress.data.get(name)
    if not isinstance(current, str) or not current:
        return []
    action = f"dlg:{name}:answer"
    return [
        TextInput(
            action=action,
            label=ctx.tr("Your answer"),
            value=current,
            multiline=maximum > MULTILINE_FROM,
            max_length=maximum,
        ),
        Actions((Button(action, ctx.tr("Save"), style="primary"),)),
    ]


# Answers allowed to be longer than this get a field of several lines.
MULTILINE_FROM = 200


class TextStep(Step):
    def __init__(
        self,
        name: str,
        label: str,
        question: str,
        help_text: str,
        *,
        maximum: int,
        minimum: int = 1,
        check: Callable[[Ctx, Progress, str], str] | None = None,
    ) -> None:
        super().__init__(name, label, question, help_text)
        self.maximum = maximum
        self.minimum = minimum
        self.check = check

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        return typed_again(ctx, progress, self.name, self.maximum)

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr(
            "Type your answer below (at most {maximum} characters).", maximum=self.maximum
        )

    def field(self, ctx: Ctx, progress: Progress, value: str) -> FormField | None:
        if self.minimum > 1:
            hint = ctx.tr(
                "At least {minimum} and at most {maximum} characters.",
                minimum=self.minimum,
                maximum=self.maximum,
            )
        else:
            hint = ctx.tr("At most {maximum} characters.", maximum=self.maximum)
        return FormField(
            self.name,
            ctx.tr(self.question),
            value=value,
            hint=hint,
            multiline=self.maximum > SHORT_FIELD,
            max_length=self.maximum,
        )

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if self.check is not None:
            return self.check(ctx, progress, answer.text)
        return check_text(answer.text, maximum=self.maximum, minimum=self.minimum)


class ChoiceStep(Step):
    def __init__(
        self,
        name: str,
        label: str,
        question: str,
        help_text: str,
        *,
        options: list[tuple[str, str]],
        multi: bool = False,
        default: str = "",
    ) -> None:
        super().__init__(name, label, question, help_text)
        self.options = options
        self.multi = multi
        # What a form shows chosen until the person picks another (single choices only).
        self.default = default

    def field(self, ctx: Ctx, progress: Progress, value: str) -> FormField | None:
        if self.multi:
            return None
        return FormField(
            self.name,
            ctx.tr(self.question),
            value=value or self.default,
            options=tuple(Option(key, ctx.tr(label)) for key, label in self.options),
        )

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        current = progress.data.get(self.name)
        selected = tuple(current) if isinstance(current, list) else ((current,) if current else ())
        return [
            Choice(
                action=f"dlg:{self.name}:choose",
                options=tuple(Option(value, ctx.tr(label)) for value, label in self.options),
                multi=self.multi,
                submit_label=ctx.tr("Confirm") if self.multi else "",
                selected=selected,
            )
        ]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        if self.multi:
            return ctx.tr("Tick the boxes and confirm, or type the numbers separated by commas.")
        return ctx.tr("Click a choice, or type its number.")

    def _lookup(self, ctx: Ctx, token: str) -> str | None:
        token = token.strip().lower()
        for index, (value, label) in enumerate(self.options, start=1):
            if token in (str(index), value.lower(), ctx.tr(label).lower(), label.lower()):
                return value
        return None

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        tokens = list(answer.selected) or (
            [t for t in answer.text.split(",") if t.strip()] if self.multi else [answer.text]
        )
        values = [self._lookup(ctx, token) for token in tokens]
        if not tokens or any(value is None for value in values):
            raise Invalid("unknown_choice")
        chosen = [v for v in dict.fromkeys(values) if v is not None]
        return chosen if self.multi else chosen[0]

    async def show(self, ctx: Ctx, value: Any) -> str:
        labels = dict(self.options)
        values = value if isinstance(value, list) else [value]
        return "; ".join(ctx.tr(labels[v]) for v in values if v in labels)


# Where a people step keeps a typed name that fits several people while it asks which one:
# {"step", "name", "options": [[id, label], ...], "found": [ids so far], "rest": [names]}.
WHICH = "_which_person"


class PeopleStep(Step):
    """Names people by picker, or by e-mail or name typed (comma-separated): a name that fits
    several people is asked about, one of them picked from a list."""

    # False where the person answering can't be the one named (the requester's own manager
    # or team, the colleague asked): the picker doesn't offer them, and `check` refuses them.
    offers_self = True

    def __init__(
        self,
        name: str,
        label: str,
        question: str,
        help_text: str,
        *,
        multi: bool,
        check: Callable[[Ctx, Progress, list[Person]], Awaitable[None]] | None = None,
        none_named: str = "empty",
        unoffered: Callable[[Ctx, Progress], Awaitable[Iterable[int]]] | None = None,
    ) -> None:
        super().__init__(name, label, question, help_text)
        self.multi = multi
        self.check = check
        # Whom `check` refuses whoever asks (by person id): the picker leaves them out too.
        self.unoffered = unoffered
        # The refusal when nobody is named (a catalogue code of dialogs.explain).
        self.none_named = none_named

    def _which(self, progress: Progress) -> dict[str, Any] | None:
        pending = progress.data.get(WHICH)
        return pending if isinstance(pending, dict) and pending.get("step") == self.name else None

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        pending = self._which(progress)
        which: list[Block] = []
        if pending is not None:
            options = tuple(Option(str(i), str(label)) for i, label in pending["options"])
            which = [Choice(action=f"dlg:{self.name}:which", options=options)]
        return [
            *which,
            PersonPicker(
                action=f"dlg:{self.name}:pick",
                multi=self.multi,
                placeholder=ctx.tr("Choose people") if self.multi else ctx.tr("Choose a person"),
                submit_label=ctx.tr("Confirm"),
                exclude=(ctx.external_id,) if ctx.external_id and not self.offers_self else (),
            )
        ]

    async def prefill(self, ctx: Ctx, progress: Progress, inputs: list[Block]) -> list[Block]:
        """The people named before, preselected in the picker by their ids on this platform;
        those `unoffered` left out of it."""
        inputs = await self._leave_out(ctx, progress, inputs)
        current = progress.data.get(self.name)
        ids = current if isinstance(current, list) else [current] if current else []
        known = await people.people_by_id(ctx.session, [int(i) for i in ids])
        picked: list[Option] = []
        for person_id in ids:
            person = known.get(int(person_id))
            for identity in await people.identities(ctx.session, int(person_id)):
                if person is not None and identity.platform == ctx.platform:
                    picked.append(Option(identity.external_id, person.display_name))
                    break
        if not picked:
            return inputs
        return [
            replace(b, selected=tuple(picked)) if isinstance(b, PersonPicker) and
            b.action == f"dlg:{self.name}:pick" else b
            for b in inputs
        ]

    async def _leave_out(
        self, ctx: Ctx, progress: Progress, inputs: list[Block]
    ) -> list[Block]:
        if self.unoffered is None:
            return inputs
        left_out: list[str] = []
        for person_id in sorted(await self.unoffered(ctx, progress)):
            left_out += [
                identity.external_id
                for identity in await people.identities(ctx.session, person_id)
                if identity.platform == ctx.platform
            ]
        return [
            replace(b, exclude=tuple(dict.fromkeys((*b.exclude, *left_out))))
            if isinstance(b, PersonPicker) and b.action == f"dlg:{self.name}:pick" else b
            for b in inputs
        ]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        if self.multi:
            return ctx.tr(
                "Pick people from the list, or type their names or work e-mail addresses separated by commas."
            )
        return ctx.tr("Pick the person from the list, or type their name or work e-mail address.")

    async def _named(
        self, ctx: Ctx, progress: Progress, found_ids: list[int], names: list[str]
    ) -> list[Person]:
        """The people `names` name, after those already found; a name that fits several
        people stops to ask which one (WHICH), keeping what was found and what is left."""
        for index, name in enumerate(names):
            matches = await people.find_by_name(ctx.session, name)
            if not matches:
                code = "unknown_email" if "@" in name else "unknown_person"
                raise Invalid(code, name=name)
            if len(matches) > people.MAX_NAME_MATCHES:
                raise Invalid("ambiguous_person", name=name)
            if len(matches) > 1:
                progress.data[WHICH] = {
                    "step": self.name,
                    "name": name,
                    "options": [[p.id, f"{p.display_name} ({p.email})" if p.email
                                 else p.display_name] for p in matches],
                    "found": found_ids,
                    "rest": names[index + 1 :],
                }
                raise Invalid("which_person", name=name)
            assert matches[0].id is not None
            found_ids = [*found_ids, matches[0].id]
        known = await people.people_by_id(ctx.session, found_ids)
        return [known[i] for i in found_ids if i in known]

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        found: list[Person] = []
        pending = self._which(progress)
        progress.data.pop(WHICH, None)
        if answer.verb == "which" or (pending is not None and not answer.picked
                                      and not answer.selected and answer.text.strip().isdigit()):
            # The one meant, of the people a typed name fits (clicked, or its number typed).
            if pending is None:
                raise Invalid("unknown_choice")
            token = answer.selected[0] if answer.selected else answer.text.strip()
            options = [int(i) for i, _ in pending["options"]]
            chosen = next(
                (i for n, i in enumerate(options, start=1) if token in (str(i), str(n))), None
            )
            if chosen is None:
                progress.data[WHICH] = pending
                raise Invalid("unknown_choice")
            rest = [str(n) for n in pending["rest"]]
            found = await self._named(
                ctx, progress, [*map(int, pending["found"]), chosen], rest
            )
        elif answer.picked or answer.selected:
            resolved = await ctx.resolve_people(ctx.session, answer.selected)
            for external_id, person in zip(answer.selected, resolved, strict=True):
                if person is None:
                    raise Invalid("unknown_person", name=external_id)
                found.append(person)
        else:
            names = [n.strip() for n in answer.text.split(",")] if self.multi else [answer.text]
            names = [n for n in names if n.strip()]
            if not names:
                raise Invalid(self.none_named)
            found = await self._named(ctx, progress, [], names)
        if not found:
            raise Invalid(self.none_named)
        if not self.multi and len(found) > 1:
            raise Invalid("unknown_choice")
        if self.check is not None:
            await self.check(ctx, progress, found)
        ids = [p.id for p in found]
        return ids if self.multi else ids[0]

    async def show(self, ctx: Ctx, value: Any) -> str:
        ids = value if isinstance(value, list) else [value]
        known = await people.people_by_id(ctx.session, ids)
        return ", ".join(known[i].display_name if i in known else "?" for i in ids)
