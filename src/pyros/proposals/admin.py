"""Proposals in Django's admin, for the SysAdmin's repairs; the pages are the way."""

from django.contrib import admin

from pyros.proposals.models import Call, Proposal, ProposalTarget, Vote


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("period", "opens", "deadline")


class TargetInline(admin.TabularInline):
    model = ProposalTarget
    extra = 0


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "call", "proposer", "status", "updated_at")
    list_filter = ("status", "call")
    search_fields = ("title", "proposer__username")
    raw_id_fields = ("proposer", "co_investigators", "decided_by", "program")
    inlines = [TargetInline, VoteInline]
