"""Demo appeals: a few residents' appeals in each managing organization's queue — one
answered, one in work, one new and overdue, and a report of a missing service with its draft
act — so the operators' queue and the portal's «Обращения» show something on day one."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from raschet.appeals.services import QualityReport, appeal_answer, appeal_file, appeal_take
from raschet.demo.stock import Manager
from raschet.housing.models import Account

_TEXTS = (
    (
        "question",
        "Поверка счётчика горячей воды",
        "Срок поверки счётчика ГВС истекает в следующем месяце. Куда подать акт поверки?",
        "Акт поверки можно передать через личный кабинет (раздел «Обращения», приложите "
        "скан) или в офисе управляющей организации. Показания принимаются до 25 числа.",
    ),
    (
        "charges",
        "Начисление за содержание",
        "Прошу пояснить, почему изменилась плата за содержание жилого помещения.",
        "",
    ),
    (
        "repair",
        "Не работает освещение в подъезде",
        "Третий день не горит свет на лестничной площадке 4 этажа.",
        "",
    ),
)


def demo_appeals(managers: list[Manager], rng: random.Random, today: date) -> None:
    operator = get_user_model().objects.filter(username="operator").first()
    for manager in managers:
        accounts = list(
            Account.objects.filter(organization=manager.organization)
            .select_related("premises")
            .order_by("pk")[:200]
        )
        if len(accounts) < 4:
            continue
        picks = rng.sample(accounts, 4)
        now = timezone.make_aware(datetime.combine(today, time(10, 0)))
        for k, (category, subject, text, answer) in enumerate(_TEXTS):
            appeal = appeal_file(
                account=picks[k],
                author=None,
                category=category,
                subject=subject,
                text=text,
                channel="phone",
                now=now - timedelta(days=20 - 7 * k),
            )
            if answer:
                appeal_answer(appeal, operator, answer, now=now - timedelta(days=15))
            elif k == 1 and operator is not None:
                appeal_take(appeal, operator)
        water = manager.services.get("hot_water")
        if water is not None:
            start = now - timedelta(days=2, hours=3)
            appeal_file(
                account=picks[3],
                author=None,
                category="quality",
                subject="Нет горячей воды",
                text="Горячей воды не было с утра до вечера, аварийная служба не ответила.",
                report=QualityReport(water, "interruption", start, start + timedelta(hours=13)),
                channel="phone",
                now=now - timedelta(days=1),
            )
