"""``raschet documents …``: print, deliver and re-read payment documents (ЕПД) — delivery only.

Each subcommand parses its arguments and calls a service of `raschet.documents`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

from raschet.cli_billing import _month


def cmd_print(args: argparse.Namespace) -> int:
    from django.db.models import Sum
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.cli_progress import rich_progress
    from raschet.core.money import format_rubles
    from raschet.documents.models import PaymentDocument, PrintFile
    from raschet.documents.services import PrintError, documents_print, job_work

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    if args.limit is not None and args.limit < 1:
        console.print("[red]--limit: нужно положительное число[/red]")
        return 2
    started = time.perf_counter()
    helpers: list[subprocess.Popen[bytes]] = []
    try:
        with rich_progress(console) as progress:
            job = documents_print(
                organization=organization,
                period=args.period,
                out_dir=args.out,
                account_numbers=args.account or (),
                building_id=args.building,
                limit=args.limit,
                bundle=args.bundle,
                wait=False,
            )
            for _ in range(max(args.processes, 1) - 1):
                helpers.append(
                    subprocess.Popen(  # noqa: S603 - our own interpreter and module
                        [
                            sys.executable,
                            "-m",
                            "raschet.cli",
                            "documents",
                            "work",
                            "--job",
                            str(job.pk),
                        ]
                    )
                )
            job_work(job=job, progress=progress)
            for helper in helpers:
                helper.wait()
            job_work(job=job, progress=progress)  # batches a dead helper left behind
    except PrintError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    finally:
        for helper in helpers:
            if helper.poll() is None:
                helper.terminate()
    job.refresh_from_db()
    elapsed = time.perf_counter() - started
    if job.state == "failed":
        console.print(f"[red]Печать №{job.pk} завершилась с ошибкой:[/red]\n{job.error}")
        return 1
    files = PrintFile.objects.filter(job=job)
    total_due = (
        PaymentDocument.objects.filter(file__job=job).aggregate(t=Sum("amount_due"))["t"] or 0
    )
    reissued = PaymentDocument.objects.filter(file__job=job, version__gt=1).count()
    console.print(
        f"Печать №{job.pk} за {args.period:%m.%Y}: документов {job.done}, файлов "
        f"{files.count()} в {job.out_dir}; к оплате всего {format_rubles(total_due)} ₽; "
        f"повторных выпусков {reissued}; {elapsed:.1f} с "
        f"({job.done / elapsed if elapsed else 0:.0f} док./с)"
    )
    return 0


def cmd_work(args: argparse.Namespace) -> int:
    from raschet.cli import _migrate
    from raschet.documents.models import PrintJob
    from raschet.documents.services import job_work

    _migrate()
    job = PrintJob.objects.filter(pk=args.job).first()
    if job is None:
        print(f"Нет задания печати №{args.job}", file=sys.stderr)
        return 2
    job_work(job=job)
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli import _migrate, _organization_arg
    from raschet.cli_progress import rich_progress
    from raschet.documents.services import documents_deliver

    console = Console()
    _migrate()
    organization = _organization_arg(console, args.organization)
    if organization is None:
        return 2
    with rich_progress(console) as progress:
        sent, failed = documents_deliver(
            organization=organization, period=args.period, progress=progress
        )
    console.print(f"ЕПД за {args.period:%m.%Y} по e-mail: отправлено {sent}, ошибок {failed}")
    return 1 if failed else 0


def cmd_ipd_import(args: argparse.Namespace) -> int:
    from rich.console import Console

    from raschet.cli import _migrate, _organization_and_file
    from raschet.documents.gis import IpdImportError, ipd_import

    console = Console()
    _migrate()
    found = _organization_and_file(console, args.organization, args.file)
    if found is None:
        return 2
    organization, path = found
    try:
        count = ipd_import(organization=organization, path=path)
    except IpdImportError as exc:
        console.print(f"[red]Файл не загружен, ничего не изменено:[/red]\n{exc}", markup=True)
        return 1
    console.print(f"Загружено идентификаторов платёжных документов (ИПД): {count}")
    return 0


def add_parsers(sub: Any) -> None:
    docs = sub.add_parser("documents", help="платёжные документы (ЕПД): печать и рассылка")
    dsub = docs.add_subparsers(dest="action", required=True)
    pr = dsub.add_parser("print", help="напечатать ЕПД закрытого месяца в PDF")
    pr.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    pr.add_argument("--account", action="append", help="номер лицевого счёта (можно несколько)")
    pr.add_argument("--building", type=int, help="ID дома")
    pr.add_argument("--limit", type=int, help="не больше N документов")
    pr.add_argument("--out", required=True, help="папка для PDF")
    pr.add_argument(
        "--bundle", action="store_true", help="один файл на дом, квартиры по порядку (разноска)"
    )
    pr.add_argument("--processes", type=int, default=1, help="процессов печати (по ядрам)")
    pr.add_argument("--organization", help="код организации")
    pr.set_defaults(func=cmd_print)
    work = dsub.add_parser("work", help="допечатать пакеты задания (рабочий процесс)")
    work.add_argument("--job", type=int, required=True, help="номер задания печати")
    work.set_defaults(func=cmd_work)
    deliver = dsub.add_parser("deliver", help="разослать ЕПД по e-mail выбравшим электронную")
    deliver.add_argument("--period", type=_month, required=True, help="месяц ГГГГ-ММ")
    deliver.add_argument("--organization", help="код организации")
    deliver.set_defaults(func=cmd_deliver)
    ipd = dsub.add_parser(
        "ipd-import", help="загрузить ИПД из ГИС ЖКХ (CSV или XLSX: ЛС, Период, ИПД)"
    )
    ipd.add_argument("file", help="файл CSV или XLSX")
    ipd.add_argument("--organization", help="код организации")
    ipd.set_defaults(func=cmd_ipd_import)
