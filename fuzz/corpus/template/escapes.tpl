int a[2][2] = \{{1, 2}, {3, 4}}; "\\n" \}}
path\\{{ C\: | D\: }}
\\\{{x}}
{{ a \| b | a \}} b | http\://h }}
{{ std::size_t | size_t }} {{ { | } }}
