line one {{ a | b }}
line two {{=nope}}
{{name: x | y}}
