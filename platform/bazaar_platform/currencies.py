"""ISO 4217 currency codes and their minor-unit exponents.

Amounts travel as integers in minor units (cents, yen, fils); the exponent says how
many decimal places a currency has. Codes are the active alphabetic codes of ISO 4217
(funds codes included, precious metals and testing codes excluded).
"""

from __future__ import annotations

ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


def is_currency(code: object) -> bool:
    """Whether ``code`` is an active ISO 4217 alphabetic code (upper case, exactly)."""
    return isinstance(code, str) and code in ISO_4217_CODES


def minor_unit_exponent(code: str) -> int:
    """Decimal places of ``code`` (2 for EUR, 0 for JPY, 3 for KWD)."""
    if code not in ISO_4217_CODES:
        raise ValueError(f"not an ISO 4217 currency code: {code[:10]!r}")
    return _EXPONENTS.get(code, 2)
