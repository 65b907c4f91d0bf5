"""Inline keyboards, built from the callback-data encoders and the texts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import texts
from bot.callbacks import (
    SUMMARY_OFF_DATA,
    ZONE_NONE,
    YogaStep,
    faq_data,
    forget_data,
    nudge_data,
    today_data,
    yoga_data,
    zone_data,
)
from schedules.nudges import Outcome
from schedules.routines import Routine
from schedules.zones import ZoneOption


def nudge_keyboard(nudge_id: int, routine: Routine | None = None) -> InlineKeyboardMarkup:
    """✅ Done, ⏰ Snooze, ⏭ Skip under a nudge; a yoga nudge also offers a guided session."""
    rows = [
        [
            InlineKeyboardButton(
                texts.BUTTON_DONE, callback_data=nudge_data(nudge_id, Outcome.DONE)
            ),
            InlineKeyboardButton(
                texts.BUTTON_SNOOZE, callback_data=nudge_data(nudge_id, Outcome.SNOOZED)
            ),
            InlineKeyboardButton(
                texts.BUTTON_SKIP, callback_data=nudge_data(nudge_id, Outcome.SKIPPED)
            ),
        ]
    ]
    if routine is Routine.YOGA:
        start = yoga_data(YogaStep.START, nudge_id)
        rows.append([InlineKeyboardButton(texts.BUTTON_YOGA_START, callback_data=start)])
    return InlineKeyboardMarkup(rows)


def yoga_keyboard(session_id: int, *, last: bool) -> InlineKeyboardMarkup:
    """⏭ Next (✅ Finish on the last move) and ⏹ Stop under a guided session."""
    forward = texts.BUTTON_YOGA_FINISH if last else texts.BUTTON_YOGA_NEXT
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(forward, callback_data=yoga_data(YogaStep.NEXT, session_id)),
                InlineKeyboardButton(
                    texts.BUTTON_YOGA_STOP, callback_data=yoga_data(YogaStep.STOP, session_id)
                ),
            ]
        ]
    )


def location_keyboard() -> ReplyKeyboardMarkup:
    """The one-tap location button for onboarding."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.BUTTON_LOCATION, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def zone_choice_keyboard(options: Iterable[ZoneOption]) -> InlineKeyboardMarkup:
    """One button per zone, labelled with a place and its time now, two per row."""
    buttons = [
        InlineKeyboardButton(
            texts.zone_option_button(o.label, o.local_now), callback_data=zone_data(o.zone)
        )
        for o in options
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(texts.BUTTON_ZONE_NONE, callback_data=zone_data(ZONE_NONE))])
    return InlineKeyboardMarkup(rows)


def zone_suggest_keyboard(zone: str) -> InlineKeyboardMarkup:
    """Yes / No under a "did you mean …?" question."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BUTTON_ZONE_YES, callback_data=zone_data(zone)),
                InlineKeyboardButton(texts.BUTTON_ZONE_NO, callback_data=zone_data(ZONE_NONE)),
            ]
        ]
    )


def today_keyboard(
    day: date, open_items: Iterable[tuple[Routine, time]]
) -> InlineKeyboardMarkup | None:
    """One 'mark done' button per nudge of today that is not closed yet."""
    rows = [
        [InlineKeyboardButton(texts.done_early_button(r, at), callback_data=today_data(r, day, at))]
        for r, at in open_items
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def forget_keyboard() -> InlineKeyboardMarkup:
    """Confirm or cancel /forget."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BUTTON_FORGET_YES, callback_data=forget_data(True)),
                InlineKeyboardButton(texts.BUTTON_FORGET_NO, callback_data=forget_data(False)),
            ]
        ]
    )


def summary_keyboard() -> InlineKeyboardMarkup:
    """The weekly summary's opt-out."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BUTTON_SUMMARY_OFF, callback_data=SUMMARY_OFF_DATA)]]
    )


def faq_keyboard(topics: Iterable[tuple[str, str]]) -> InlineKeyboardMarkup:
    """/faq topic buttons, two per row."""
    buttons = [
        InlineKeyboardButton(label, callback_data=faq_data(entry_id)) for entry_id, label in topics
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
