{#- Runs in every project that installs pii_guard: fails with one row per way
    PII reaches a safe model (meta privacy_tier: safe, or access: public).
    Accepted findings (var pii_guard_allow) are returned but do not fail.
    See the README, "no_pii_in_safe_models". -#}
{{ config(fail_calc="coalesce(sum(case when status = 'violation' then 1 else 0 end), 0)") }}
{{ pii_guard.no_pii_in_safe_models() }}
