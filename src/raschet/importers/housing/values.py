"""Parsers of one template cell: text or an XLSX value in, a typed value or `CellError` out.

No database access. Messages are Russian: they go straight into the error table.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

from django.core.exceptions import ValidationError

BUILDING_AREA_MAX = Decimal("10000000")
PREMISES_AREA_MAX = Decimal("100000")
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})


class CellError(ValueError):
    """A cell's value is wrong; the message is shown to the user as is."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_ODD_SPACE = re.compile(r"[\s\u00a0]{2,}|[\t\n\r\u00a0]")


def text(value: object) -> str:
    """A cell as text, for the error table and for text columns: spaces collapsed."""
    if value is None:
        return ""
    if value.__class__ is str:
        s = value.strip()  # type: ignore[attr-defined]
        if _ODD_SPACE.search(s):
            s = re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()
        return s
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value).replace("\u00a0", " ")).strip()


def check_not_formula(value: object) -> None:
    if isinstance(value, str):
        if value.startswith("="):
            raise CellError("формула вместо значения: сохраните в ячейке само значение")
        if value.strip() in EXCEL_ERRORS:
            raise CellError("ошибка Excel в ячейке вместо значения")
    elif value is not None and not isinstance(value, int | float | Decimal | dt.date | bool):
        # openpyxl gives ArrayFormula / DataTableFormula objects for array formulas
        raise CellError("формула вместо значения: сохраните в ячейке само значение")


def parse_str(value: object, *, max_length: int) -> str:
    s = text(value)
    if len(s) > max_length:
        raise CellError(f"слишком длинное значение: {len(s)} знаков, допустимо {max_length}")
    return s


@lru_cache(maxsize=4096)
def _parse_date_text(s: str) -> dt.date:
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", s) or re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})", s
    )
    if m is None:
        raise CellError("ожидается дата в виде ДД.ММ.ГГГГ или ГГГГ-ММ-ДД")
    a, b, c = (int(x) for x in m.groups())
    year, month, day = (c, b, a) if "." in s else (a, b, c)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError("такой даты не существует") from None


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError("ожидается дата без времени")
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        day = _parse_date_text(value.strip())
    else:
        raise CellError("ожидается дата в виде ДД.ММ.ГГГГ или ГГГГ-ММ-ДД")
    if not DATE_MIN <= day <= DATE_MAX:
        raise CellError("дата вне допустимого диапазона 01.01.1900–31.12.2100")
    return day


@lru_cache(maxsize=8192)
def _parse_decimal_text(s: str) -> Decimal:
    s = s.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        raise CellError("ожидается число, например 54,3")
    return Decimal(s)


def parse_area(value: object, *, maximum: Decimal, allow_zero: bool = False) -> Decimal:
    """An area in m²: positive (or zero if allowed), two decimals at most, ≤ ``maximum``."""
    if isinstance(value, bool):
        raise CellError("ожидается число, например 54,3")
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise CellError("ожидается число, например 54,3") from None
    elif isinstance(value, str):
        number = _parse_decimal_text(value.strip())
    else:
        raise CellError("ожидается число, например 54,3")
    if not number.is_finite():
        raise CellError("ожидается число, например 54,3")
    if number < 0 or (number == 0 and not allow_zero):
        sign = "не может быть отрицательной" if number < 0 else "должна быть больше нуля"
        raise CellError(f"площадь {sign}")
    if number > maximum:
        raise CellError(f"площадь больше {maximum:,} м² — проверьте значение".replace(",", " "))
    if number != number.quantize(Decimal("0.01")):
        raise CellError("не больше двух знаков после запятой")
    return number.quantize(Decimal("0.01"))


def parse_int(value: object, *, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise CellError("ожидается целое число")
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        number = int(value.strip())
    else:
        raise CellError("ожидается целое число")
    if not low <= number <= high:
        raise CellError(f"ожидается число от {low} до {high}")
    return number


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    s = text(value).lower()
    if s in {"да", "1", "true", "yes", "д", "+"}:
        return True
    if s in {"нет", "0", "false", "no", "н", "-"}:
        return False
    raise CellError("ожидается «да» или «нет»")


def parse_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(text(value))
    except ValueError:
        raise CellError("ожидается GUID вида xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") from None


def _norm_word(value: object) -> str:
    return re.sub(r"\s+", " ", text(value).lower().replace("ё", "е"))


def choice(value: object, options: dict[str, str], *, hint: str) -> str:
    code = options.get(_norm_word(value))
    if code is None:
        raise CellError(f"неизвестное значение; допустимо: {hint}")
    return code


HEATING = {
    "season": "season", "в отопительный период": "season", "отопительный период": "season",
    "сезонно": "season", "evenly": "evenly", "равномерно": "evenly",
    "равномерно в течение года": "evenly", "none": "none", "нет": "none",
    "без отопления": "none",
}  # fmt: skip
COMMON_PROPERTY = {
    "norm_cap": "norm_cap", "по нормативу": "norm_cap", "норматив": "norm_cap",
    "actual": "actual", "по факту": "actual", "по прибору": "actual",
    "в полном объеме": "actual",
}  # fmt: skip
PREMISES_KIND = {
    "residential": "residential", "жилое": "residential", "жилое помещение": "residential",
    "квартира": "residential", "non_residential": "non_residential", "нежилое": "non_residential",
    "нежилое помещение": "non_residential",
}  # fmt: skip
TENURE = {
    "owner": "owner", "собственник": "owner", "собственность": "owner",
    "social_tenant": "social_tenant", "наниматель": "social_tenant", "соцнайм": "social_tenant",
    "социальный наем": "social_tenant", "социальный найм": "social_tenant",
}  # fmt: skip
REGISTRATION_KIND = {
    "permanent": "permanent", "постоянная": "permanent", "по месту жительства": "permanent",
    "temporary": "temporary", "временная": "temporary", "по месту пребывания": "temporary",
}  # fmt: skip
RELATION = {
    "owner": "owner", "собственник": "owner", "tenant": "tenant", "наниматель": "tenant",
    "spouse": "spouse", "супруг": "spouse", "супруга": "spouse", "супруг(а)": "spouse",
    "муж": "spouse", "жена": "spouse", "child": "child", "сын": "child", "дочь": "child",
    "ребенок": "child", "parent": "parent", "мать": "parent", "отец": "parent",
    "родитель": "parent", "grandchild": "grandchild", "внук": "grandchild",
    "внучка": "grandchild", "sibling": "sibling", "брат": "sibling", "сестра": "sibling",
    "relative": "relative", "родственник": "relative", "родственница": "relative",
    "other": "other", "другое": "other", "прочее": "other", "иное": "other",
}  # fmt: skip

_ACCOUNT_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё\-/]{1,30}$")


def parse_account_number(value: object) -> str:
    s = text(value)
    if not _ACCOUNT_RE.match(s):
        raise CellError("номер лицевого счёта: до 30 букв, цифр, «-» и «/»")
    return s


def parse_full_name(value: object) -> tuple[str, str, str]:
    """«Фамилия Имя Отчество» → (last, first, middle); the patronymic may be several words."""
    parts = text(value).split(" ")
    if len(parts) < 2:
        raise CellError("нужны как минимум фамилия и имя через пробел")
    last, first, middle = parts[0], parts[1], " ".join(parts[2:])
    if max(len(last), len(first), len(middle)) > 100:
        raise CellError("часть ФИО длиннее 100 знаков")
    if re.search(r"\d", "".join(parts)):
        raise CellError("цифры в ФИО")
    return last, first, middle


def parse_share(value: object) -> Fraction:
    """«1», «1/2», «0,5» → a fraction in (0, 1]."""
    if isinstance(value, bool):
        raise CellError("доля: «1», «1/2» или десятичная дробь")
    if isinstance(value, int | float):
        raw = str(value)
    else:
        raw = text(value).replace(",", ".").replace(" ", "")
    try:
        share = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise CellError("доля: «1», «1/2» или десятичная дробь") from None
    if not 0 < share <= 1:
        raise CellError("доля должна быть больше 0 и не больше 1")
    if share.denominator > 1_000_000:
        raise CellError("слишком мелкая доля")
    return share


def parse_snils(value: object) -> str:
    from raschet.organizations.validators import validate_snils

    s = text(value)
    try:
        validate_snils(s)
    except ValidationError as exc:
        raise CellError(str(exc.messages[0])) from None
    digits = re.sub(r"[\s-]", "", s)
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


ServiceItem = tuple[str, str, int]  # code, method, zones


@lru_cache(maxsize=4096)
def _parse_services_text(s: str) -> tuple[ServiceItem, ...]:
    items: list[ServiceItem] = []
    seen: set[str] = set()
    for raw in re.split(r"[;,\n]", s):
        part = raw.strip()
        if not part:
            continue
        bits = [b.strip().lower() for b in part.split(":")]
        code = bits[0]
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
            raise CellError(f"«{part}»: код услуги — латинские строчные буквы, цифры и «_»")
        method = "norm"
        zones = 1
        if len(bits) > 3:
            raise CellError(f"«{part}»: ожидается код[:meter|norm[:зоны]]")
        if len(bits) >= 2 and bits[1]:
            method = {"meter": "meter", "ипу": "meter", "счетчик": "meter", "счётчик": "meter",
                      "norm": "norm", "норматив": "norm"}.get(bits[1], "")  # fmt: skip
            if not method:
                raise CellError(f"«{part}»: способ — meter (по прибору) или norm (по нормативу)")
        if len(bits) == 3:
            if bits[2] not in {"1", "2", "3"}:
                raise CellError(f"«{part}»: число тарифных зон — 1, 2 или 3")
            zones = int(bits[2])
        if code in seen:
            raise CellError(f"услуга {code} указана дважды")
        seen.add(code)
        items.append((code, method, zones))
    return tuple(items)


def parse_services(value: object) -> tuple[ServiceItem, ...]:
    return _parse_services_text(text(value))
