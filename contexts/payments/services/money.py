"""Money rules: integer minor units plus an ISO 4217 currency code.

The table lists the active ISO 4217 codes with their minor-unit exponent (the
number of decimals); it is only used to accept or refuse a code and to display an
amount. Funds codes, precious metals and "XXX"/"XTS" are deliberately absent.
"""

from __future__ import annotations

from django.conf import settings

from bazaar_platform.api.errors import ApplicationError

_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMAL = "CLF UYW"
_TWO_DECIMAL = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES "
    "WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMAL.split(), 2),
    **dict.fromkeys(_ZERO_DECIMAL.split(), 0),
    **dict.fromkeys(_THREE_DECIMAL.split(), 3),
    **dict.fromkeys(_FOUR_DECIMAL.split(), 4),
}


def currency_validate(currency: object) -> str:
    """The upper-case ISO 4217 code, or ``ApplicationError`` (400, ``unknown_currency``)."""
    if not isinstance(currency, str) or currency.upper() not in CURRENCY_EXPONENTS:
        raise ApplicationError(
            f"{currency!r} is not an ISO 4217 currency code we accept.",
            code="unknown_currency",
            fields={"currency": ["Unknown currency code."]},
        )
    return currency.upper()


def amount_validate(amount_minor: object, *, field: str = "amount_minor") -> int:
    """A positive integer number of minor units below ``PAYMENTS_MAX_AMOUNT_MINOR``."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ApplicationError(
            "Amounts are whole numbers of minor units (cents).",
            code="invalid_amount",
            fields={field: ["Must be an integer number of minor units."]},
        )
    if amount_minor <= 0:
        raise ApplicationError(
            "The amount must be greater than zero.",
            code="invalid_amount",
            fields={field: ["Must be greater than zero."]},
        )
    cap: int = settings.PAYMENTS_MAX_AMOUNT_MINOR
    if amount_minor > cap:
        raise ApplicationError(
            f"The amount is above the limit of {cap} minor units.",
            code="amount_too_large",
            fields={field: [f"Must be at most {cap}."]},
        )
    return amount_minor


def money_format(amount_minor: int, currency: str) -> str:
    """``1999, "EUR"`` -> ``"19.99 EUR"`` (for pages and admin lists)."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    if exponent == 0:
        return f"{amount_minor} {currency}"
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**exponent)
    return f"{sign}{major}.{minor:0{exponent}d} {currency}"
