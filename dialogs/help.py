"""The commands of DESIGN.md section 6 that have a flow, and `help`, which explains them."""

from __future__ import annotations

from dialogs.engine import Ctx
from dialogs.i18n import N_
from dialogs.messages import Actions, Block, Button, Context, Fields, Message, Paragraph

# In the order help lists them (and Teams' command menu, and Slack's manifest but `help`).
COMMANDS = (
    "open-account",
    "accounts",
    "duty",
    "away",
    "question",
    "major-change",
    "close-account",
    "team",
    "dashboard",
    "help",
)

# Commands beyond Teams' command menu, which holds ten: help lists them and Slack has them as
# slash commands; on Teams they are typed, or reached by the help card's buttons.
MORE_COMMANDS = ("removed", "consent", "casework", "accessible", "language")
ALL_COMMANDS = (*COMMANDS[:-1], *MORE_COMMANDS, COMMANDS[-1])

# What each command does, in the words of the help (catalogue msgids; Teams' menu uses them).
DESCRIPTIONS = {
    "open-account": N_("Request a new social-media account in KI's name."),
    "accounts": N_("List your accounts in the register, with what needs doing for each."),
    "duty": N_("Show who is on duty today and this week for your accounts."),
    "away": N_(
        "Record that you are away, for example /away 2027-07-01 2027-07-31, so the rota skips you. Alone it lists your absences."
    ),
    "question": N_(
        "Log a question from the public: type it after the command, or I ask for it. /question SOME-2027-0001 picks the account."
    ),
    "major-change": N_("Ask your team to archive an account's profile page before a major change."),
    "close-account": N_("Close an account that is no longer active."),
    "team": N_(
        "Change who runs an account: add or remove responsible persons, hand it to a new manager, correct its unit."
    ),
    "dashboard": N_(
        "Get a link that signs you in to the dashboard in your browser: the register, compliance and exports."
    ),
    "removed": N_(
        "Record a post or comment you removed from one of your accounts in its moderation log. Threats and sensitive personal data are sent to the manager at once."
    ),
    "consent": N_(
        "Record who consented to a post with identifiable people, how, and the creator credited and their consent."
    ),
    "casework": N_(
        "Mark a post as needing case management (the Registry Office is told) or as having research value, or record a purge under the disposal decision."
    ),
    "accessible": N_(
        "Run the accessibility checklist on a post before publishing: alt text, captions, plain language, link text, hashtags and emoji."
    ),
    "language": N_(
        "Choose the language I write to you in: /language sv or /language en, or /language app to follow your chat app."
    ),
    "help": N_("Show this help."),
}
INTRO = N_("I help you follow KI's rules for social-media accounts.")
# Questions with an expert have no command of their own: they start from a logged question.
QUESTIONS_HELP = N_(
    "Criticism, or a question someone else knows better? Click Ask a colleague on a logged question: the colleague suggests an answer, and the manager hears if none comes within the account's response time."
)
# The Communications Office's address in KI's social-media guidelines: where a person stuck
# with something the bot cannot settle writes.
CONTACT = "socialmedia@ki.se"
# Not listed with the commands: what a platform sends for a person's first contact (the web
# chat opened for the first time, the app added in Teams).
GREETING = "start"


def greeting(ctx: Ctx) -> Message:
    """First contact: who the bot is and what to do next, then the commands."""
    hello = ctx.tr("Hello {name}, I'm kontobot.", name=ctx.person.display_name)
    next_step = ctx.tr(
        "To ask for a new social-media account, click Open an account below: I'll ask one thing at a time. Type help whenever you want to see this list again."
    )
    return help_message(ctx, notice=f"{hello} {next_step}")


def help_message(ctx: Ctx, notice: str = "") -> Message:
    tr = ctx.tr
    lines = tuple(
        (name if name == "help" else f"/{name}", tr(DESCRIPTIONS[name]))
        for name in ALL_COMMANDS
    )
    intro = tr(INTRO)
    blocks: list[Block] = [Paragraph(notice)] if notice else []
    contact = tr(
        "Questions about KI's social-media guidelines: write to the Communications Office at {address}.",
        address=CONTACT,
    )
    blocks += [
        Paragraph(intro),
        Fields(lines),
        Paragraph(tr(QUESTIONS_HELP)),
        Context(contact),
        Actions(
            (
                Button("cmd:open-account", tr("Open an account"), style="primary"),
                Button("cmd:removed", tr("Record a removed post")),
                Button("cmd:consent", tr("Record consent for a post")),
                Button("cmd:casework", tr("Case management and purging")),
                Button("cmd:accessible", tr("Check a post for accessibility")),
            )
        ),
    ]
    return Message(
        text=f"{notice} {intro}".strip(), title=tr("kontobot help"), blocks=tuple(blocks)
    )
