{{=later}} {{ x }} {{later: a | b}}
{{ a | {{ b }} }}
{{n:a|b}}{{n:c|d}}
{{ x = 1 | x=1 }}
{{ unterminated | point
