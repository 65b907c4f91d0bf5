"""Every sentence the user reads, in one place (HTML parse mode).

Handlers pick a text and fill it in; values that come from users are escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from html import escape
from typing import Final

from schedules.nudges import PAUSED_UNTIL_RESUMED, Outcome
from schedules.routines import Routine

DISCLAIMER: Final = (
    "ℹ️ I share what one article says, in my own words. It is not medical advice: "
    "ask a doctor about your own health."
)

ROUTINE_NAMES: Final = {
    Routine.YOGA: "Facial yoga",
    Routine.MOISTURIZE: "Moisturizing",
    Routine.SUPPLEMENTS: "Calcium + vitamin D",
}
ROUTINE_ICONS: Final = {Routine.YOGA: "🧘", Routine.MOISTURIZE: "🧴", Routine.SUPPLEMENTS: "💊"}
OUTCOME_LABELS: Final = {
    Outcome.PENDING: "⏳ pending",
    Outcome.DONE: "✅ done",
    Outcome.SNOOZED: "⏰ snoozed",
    Outcome.SKIPPED: "⏭ skipped",
    Outcome.MISSED: "❌ missed",
    Outcome.PAUSED: "🏖 paused",
}

BUTTON_DONE: Final = "✅ Done"
BUTTON_SNOOZE: Final = "⏰ Snooze"
BUTTON_SKIP: Final = "⏭ Skip"
BUTTON_LOCATION: Final = "📍 Share my location"
BUTTON_FORGET_YES: Final = "Yes, delete everything"
BUTTON_FORGET_NO: Final = "Cancel"
BUTTON_SUMMARY_OFF: Final = "Stop weekly summaries"

COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("start", "set up, or start again"),
    ("today", "today's routines and their state"),
    ("plan", "your plan and the next nudge"),
    ("set", "set times: /set yoga 07:30 19:00"),
    ("on", "switch a routine on: /on yoga"),
    ("off", "switch a routine off: /off yoga"),
    ("timezone", "show or change your time zone"),
    ("pause", "holiday mode: /pause 3, or until /resume"),
    ("resume", "end holiday mode"),
    ("snooze", "snooze length: /snooze 15"),
    ("nag", "re-send unanswered nudges: /nag 20 3, /nag off"),
    ("stats", "streaks and adherence, with a chart"),
    ("faq", "questions about facial bone loss"),
    ("export", "all your records as CSV"),
    ("forget", "delete everything I hold on you"),
    ("help", "this list"),
)


def _name(routine: Routine) -> str:
    return f"{ROUTINE_ICONS[routine]} {ROUTINE_NAMES[routine]}"


def _hhmm(at: time | datetime) -> str:
    return at.strftime("%H:%M")


def welcome() -> str:
    """The first thing a new user reads."""
    return (
        "👋 <b>Hi, I'm FaceNudge.</b> I send you short daily nudges for three small routines "
        "an article on facial bone loss recommends — facial yoga, moisturizing and calcium + "
        "vitamin D — keep track of your answers, and answer questions about the article.\n\n"
        f"{DISCLAIMER}"
    )


def ask_zone() -> str:
    """Onboarding's time-zone question."""
    return (
        "🌍 <b>Which time zone are you in?</b> Share your location with the button, or type a "
        "city (<code>Berlin</code>), a zone name (<code>Europe/Berlin</code>) or an offset "
        "(<code>UTC+2</code>, <code>UTC+5:45</code>)."
    )


def zone_set(zone: str, offset: str, local_now: datetime) -> str:
    """Confirms a time zone."""
    return (
        f"🕰 Time zone set to <b>{escape(zone)}</b> ({offset}); it's {_hhmm(local_now)} there now. "
        "Your nudges follow it, daylight saving included."
    )


def zone_unknown(text: str) -> str:
    """The user typed something that is not a place or zone we know."""
    return (
        f"🤔 I couldn't find a time zone for “{escape(text[:60])}”. Try a bigger city nearby, a "
        "zone name like <code>Asia/Kathmandu</code>, an offset like <code>UTC+5:45</code>, or "
        "share your location."
    )


def zone_current(zone: str | None, offset: str | None) -> str:
    """/timezone without an argument."""
    if zone is None:
        return "You haven't set a time zone yet. " + ask_zone()
    return (
        f"Your time zone is <b>{escape(zone)}</b> ({offset}). To change it: "
        "<code>/timezone Europe/Berlin</code>, a city, or an offset like <code>UTC-3</code>."
    )


def need_zone() -> str:
    """A command that needs a time zone before it can work."""
    return "First tell me your time zone. " + ask_zone()


def need_start() -> str:
    """A command from someone who never pressed /start."""
    return "Press /start first so I can set you up — it takes ten seconds."


def plan(
    entries: Sequence[tuple[Routine, bool, Sequence[time], datetime | None]],
    zone: str,
    paused_until: datetime | None,
    snooze_minutes: int,
    nag: tuple[int, int] | None,
) -> str:
    """/plan: each routine, its times, on/off and the next nudge in local time."""
    lines = [f"📋 <b>Your plan</b> ({escape(zone)})"]
    for routine, enabled, times, next_due in entries:
        clock = ", ".join(_hhmm(t) for t in times) or "no times"
        if not enabled:
            state = "off"
        elif next_due is None:
            state = "on"
        else:
            state = f"next {next_due:%a %d %b %H:%M}"
        lines.append(f"{_name(routine)}: {clock} — {state}")
    if paused_until is not None:
        lines.append(f"\n🏖 Paused {_until(paused_until)}. /resume to end it early.")
    lines.append(f"\n⏰ Snooze: {snooze_minutes} min.")
    lines.append(
        f"🔁 Re-send unanswered nudges every {nag[0]} min, at most {nag[1]} times."
        if nag
        else "🔁 Unanswered nudges are not re-sent (/nag to change)."
    )
    lines.append("Change times with <code>/set yoga 07:30</code>; /on and /off switch a routine.")
    return "\n".join(lines)


def set_usage() -> str:
    """/set with missing or bad arguments."""
    return (
        "To set times, name a routine and one or more 24-hour times, e.g. "
        "<code>/set yoga 07:30</code> or <code>/set moisturize 08:00 21:30</code>. "
        "Routines: <code>yoga</code>, <code>moisturize</code>, <code>supplements</code>."
    )


def bad_times(text: str) -> str:
    """Times that don't parse."""
    return (
        f"⏱ “{escape(text[:60])}” isn't a time I understand. Use 24-hour times like "
        "<code>07:30</code> or <code>21:00</code> (up to 6 a day). Nothing was changed."
    )


def unknown_routine(text: str) -> str:
    """A routine name we don't know."""
    return (
        f"🤔 I don't know a routine called “{escape(text[:40])}”. Choose <code>yoga</code>, "
        "<code>moisturize</code> or <code>supplements</code>. Nothing was changed."
    )


def times_set(routine: Routine, times: Sequence[time], next_due: datetime | None) -> str:
    """Confirms /set."""
    when = f" Next: {next_due:%a %H:%M}." if next_due else ""
    return f"{_name(routine)} set to {', '.join(_hhmm(t) for t in times)}.{when}"


def switched(routine: Routine, enabled: bool) -> str:
    """Confirms /on or /off."""
    return f"{_name(routine)} is {'on' if enabled else 'off'}."


def on_off_usage(command: str) -> str:
    """/on or /off without a routine."""
    return f"Which routine? e.g. <code>/{command} yoga</code> (yoga, moisturize, supplements)."


def nudge(routine: Routine, prompt: str, at: time, *, repeat: bool) -> str:
    """The nudge itself."""
    again = " (again)" if repeat else ""
    return (
        f"{_name(routine)} · {_hhmm(at)}{again}\n{escape(prompt)}\n\n"
        "<i>Reply to this message to add a note.</i>"
    )


def nudge_answered(routine: Routine, prompt: str, at: time, outcome: Outcome, until: str) -> str:
    """The nudge after a button press, showing its outcome."""
    extra = f" until {until}" if outcome is Outcome.SNOOZED else ""
    label = f"<b>{OUTCOME_LABELS[outcome]}{extra}</b>"
    return f"{_name(routine)} · {_hhmm(at)}\n{escape(prompt)}\n\n{label}"


def press_ack(outcome: Outcome, changed: bool, current: Outcome) -> str:
    """The short toast answering a button press."""
    if not changed:
        return f"Already recorded: {OUTCOME_LABELS[current]}."
    return {
        Outcome.DONE: "Nice work! ✅",
        Outcome.SNOOZED: "Snoozed ⏰",
        Outcome.SKIPPED: "Skipped — rest days count too.",
    }.get(outcome, "Saved.")


STALE_BUTTON: Final = "This button is no longer valid — nothing was changed."
PRIVATE_ONLY: Final = "I work in private chats only — message me directly. 🙂"


def note_saved(routine: Routine, day: date) -> str:
    """A reply to a nudge was stored."""
    return f"📝 Note saved on {_name(routine)} for {day:%a %d %b}."


def note_too_long(limit: int) -> str:
    """A reply that is too long to keep."""
    return f"That note is longer than {limit} characters; please send a shorter one."


def help_text() -> str:
    """/help: every command, one line each."""
    lines = ["<b>What I can do</b>"]
    lines += [f"/{name} — {escape(desc)}" for name, desc in COMMANDS]
    lines.append("\nOr just ask a question about facial bone loss in your own words.")
    return "\n".join(lines)


def unknown_command() -> str:
    """A slash command we don't have."""
    return "🤷 I don't know that command. /help lists what I can do."


def unsupported_message() -> str:
    """Stickers, photos and other things that aren't text."""
    return "I can only read text. Ask me a question, or see /help."


def too_long(limit: int) -> str:
    """Oversized text."""
    return f"That's a lot of text! Please keep it under {limit} characters."


def slow_down() -> str:
    """Told at most once a minute to someone sending faster than the throttle lets through."""
    return (
        "🐢 That's a lot of messages at once — I'm skipping some so everyone gets an answer. "
        "Give me a few seconds, then carry on."
    )


def export_caption(count: int) -> str:
    """The CSV export's caption."""
    return f"📄 Your records: {count} nudge{'' if count == 1 else 's'}."


def export_empty() -> str:
    """Nothing to export yet."""
    return "You have no records yet — your first nudge will start them."


def forget_confirm() -> str:
    """/forget's question."""
    return (
        "🗑 This deletes <b>everything</b> I hold on you: time zone, plan, every nudge and note. "
        "It can't be undone (/export first if you want a copy). Delete it all?"
    )


def forgotten() -> str:
    """After /forget."""
    return "Done: everything I held on you is deleted. /start whenever you want to come back."


def forget_nothing() -> str:
    """/forget confirmed when nothing is held (pressed twice, or never started)."""
    return "There's nothing of yours left to delete."


def forget_cancelled() -> str:
    """/forget cancelled."""
    return "Cancelled — nothing was deleted."


def _until(instant: datetime) -> str:
    if instant.year >= PAUSED_UNTIL_RESUMED.year:
        return "until you send /resume"
    return f"until {instant:%a %d %b %H:%M}"


def paused(until: datetime) -> str:
    """Confirms /pause."""
    return f"🏖 Paused {_until(until)}. /resume ends it early."


def pause_usage() -> str:
    """/pause with a bad number of days."""
    return "Pause for how many days? e.g. <code>/pause 3</code> (1–365). Nothing was changed."


def resumed(was_paused: bool) -> str:
    """Confirms /resume."""
    return "▶️ Welcome back — nudges are on again." if was_paused else "You weren't paused. 🙂"


def snooze_set(minutes: int) -> str:
    """Confirms /snooze."""
    return f"⏰ Snooze now waits {minutes} minutes."


def snooze_usage(current: int) -> str:
    """/snooze with a bad value."""
    return (
        f"Snooze currently waits {current} min. Set it with e.g. <code>/snooze 15</code> "
        "(5–240 minutes)."
    )


def nag_set(minutes: int, times: int) -> str:
    """Confirms /nag."""
    return f"🔁 I'll re-send an unanswered nudge every {minutes} min, at most {times} times."


def nag_off() -> str:
    """Confirms /nag off."""
    return "🔁 Unanswered nudges won't be re-sent."


def nag_usage() -> str:
    """/nag with bad arguments."""
    return (
        "Use <code>/nag 20 3</code> to re-send an unanswered nudge every 20 minutes, at most 3 "
        "times (5–240 minutes, 1–10 times), or <code>/nag off</code>. Nothing was changed."
    )


def today(day: date, rows: Sequence[tuple[Routine, time, Outcome | None]]) -> str:
    """/today: each of today's nudges with its state."""
    if not rows:
        return "Nothing planned today. /plan shows your routines."
    lines = [f"📅 <b>Today</b>, {day:%A %d %B}"]
    for routine, at, outcome in rows:
        state = OUTCOME_LABELS[outcome] if outcome else "🕒 later today"
        lines.append(f"{_hhmm(at)} {_name(routine)} — {state}")
    return "\n".join(lines)


def done_early_button(routine: Routine, at: time) -> str:
    """A /today button."""
    return f"✅ {ROUTINE_NAMES[routine]} {_hhmm(at)}"


def done_early(changed: bool) -> str:
    """Toast for a /today button."""
    return "Marked done ✅ — no nudge for it today." if changed else "Already closed."


def stats(rows: Sequence[tuple[Routine, int, int, float | None, float | None, float]]) -> str:
    """/stats as text: streaks, adherence and strength per routine."""
    lines = ["📊 <b>Your stats</b>"]
    for routine, current, best, week, month, strength in rows:
        lines.append(
            f"{_name(routine)}\n  streak {current} (best {best}) · 7 days {_pct(week)} · "
            f"30 days {_pct(month)} · strength {_pct(strength)}"
        )
    lines.append("\nSkipped and paused days don't break a streak.")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def weekly_summary(week: float | None, line: str) -> str:
    """The Sunday-evening summary."""
    return f"🗓 <b>Your week</b>: {_pct(week)} of your nudges done.\n{escape(line)}"


WEEKLY_LINES: Final = (
    "Calcium and vitamin D feed your bones; the article aims at 1,000–1,300 mg and 500+ IU a day.",
    "Toned facial muscles can make changes in bone structure less visible — keep going.",
    "Moisturized skin keeps its elasticity while the face changes with age.",
    "Facial exercise may help slow bone loss; the article is honest that proof is still missing.",
)


def summary_off() -> str:
    """Confirms opting out of the weekly summary."""
    return "OK, no more weekly summaries."


def faq_intro() -> str:
    """/faq's header above the topic buttons."""
    return "❓ <b>Questions about facial bone loss</b> — pick a topic, or ask in your own words."


def faq_answer(question: str, answer: str, with_disclaimer: bool) -> str:
    """An FAQ answer, with the disclaimer the first time in a conversation."""
    text = f"<b>{escape(question)}</b>\n{escape(answer)}"
    return f"{text}\n\n<i>{escape(DISCLAIMER)}</i>" if with_disclaimer else text


def faq_unknown() -> str:
    """A question the article doesn't cover."""
    return (
        "🤷 The article I know doesn't cover that, so I'd rather not guess. It's about facial "
        "bone loss with age and what may help (calcium and vitamin D, not smoking, "
        "moisturizer, facials, facial exercise). /faq lists the topics."
    )


def error_reply() -> str:
    """Something failed on our side."""
    return "😵 Something went wrong on my side. Nothing was lost — please try again in a moment."
