# Advisory

The {{ bug | flaw | defect }} lets an {{ attacker | adversary }} {{ write | corrupt }} memory
{{ past | beyond }} the end of a {{ heap | dynamically allocated }} buffer.
Upgrade {{ now | immediately | without delay }}.
