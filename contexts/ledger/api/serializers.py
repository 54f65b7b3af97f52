"""Input and output serializers of the ledger API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bazaar_platform.currencies import is_currency
from contexts.ledger.models import Entry, Posting, PostingKind


class StatementQuery(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="Inclusive, YYYY-MM-DD (UTC).")
    date_to = serializers.DateField(required=False, help_text="Inclusive, YYYY-MM-DD (UTC).")
    currency = serializers.CharField(required=False, max_length=3, min_length=3)
    kind = serializers.ChoiceField(choices=PostingKind.choices, required=False)

    def validate_currency(self, value: str) -> str:
        if not is_currency(value):
            raise serializers.ValidationError("An ISO 4217 code such as EUR is required.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


class EntryOutput(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ("kind", "account", "amount_minor")


class PostingOutput(serializers.ModelSerializer):
    entries = EntryOutput(many=True, read_only=True)

    class Meta:
        model = Posting
        fields = (
            "id",
            "kind",
            "occurred_at",
            "vendor_order_id",
            "order_id",
            "store_id",
            "refund_id",
            "currency",
            "gross_minor",
            "commission_minor",
            "earnings_minor",
            "commission_rate_bp",
            "reason",
            "entries",
        )


class BalanceOutput(serializers.Serializer):
    vendor_id = serializers.UUIDField()
    balances = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Currency -> minor units the platform owes the vendor (earnings net of refunds).",
    )
