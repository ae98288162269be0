
use builtin;
use str;

set edit:completion:arg-completer[jwtctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'jwtctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'jwtctl'= {
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand decode 'Show each token''s header, claims, times and warnings (no signature check)'
            cand verify 'Check each token''s signature with a key you name, then its claims'
            cand encode 'Make and sign a token (for tests and local development)'
            cand check-expiry 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'jwtctl;decode'= {
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --strict 'Exit 7 when any security warning fires (alg_none, no_exp, embedded_key, weak_key), for CI'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;verify'= {
            cand --key 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS'
            cand --secret-file 'HMAC secret read from a file (a trailing newline is ignored)'
            cand --secret-env 'HMAC secret read from the environment variable NAME'
            cand --secret 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env'
            cand --jwks 'A JWKS file or http(s) URL; the token''s kid picks the key'
            cand --oidc-issuer 'Fetch URL/.well-known/openid-configuration, then its jwks_uri; iss must equal URL'
            cand --timeout 'Time limit for fetching a JWKS or discovery document'
            cand --cacert 'CA certificates (PEM) that https fetches trust instead of the built-in roots, for a private CA [default: $SSL_CERT_FILE if set]'
            cand --alg 'Accept only this algorithm (repeatable); default: those that fit the key'
            cand --iss 'Required issuer (repeatable: any one may match)'
            cand --aud 'Required audience; aud may be a string or an array (repeatable: any one may match)'
            cand --sub 'Required subject (repeatable: any one may match)'
            cand --require 'A claim that must be present (repeatable)'
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --secret-base64 'The secret is base64 or base64url, not text'
            cand --allow-weak-key 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)'
            cand --allow-no-exp 'Accept tokens without an exp claim'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;encode'= {
            cand --alg 'Signing algorithm (`none` needs --unsecured)'
            cand --key 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS'
            cand --secret-file 'HMAC secret read from a file (a trailing newline is ignored)'
            cand --secret-env 'HMAC secret read from the environment variable NAME'
            cand --secret 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env'
            cand --claim 'A claim, KEY=VALUE; VALUE is JSON when it parses as JSON, else a string (repeatable)'
            cand --exp 'exp: a duration from now (15m, 1h; -1h: an hour ago, for an expired token) or an RFC 3339 time'
            cand --nbf 'nbf: a duration from now (-5m: five minutes ago) or an RFC 3339 time'
            cand --kid 'The header''s kid, and the key of that kid in a JWKS (default: the JWK''s own kid); an empty value leaves it out'
            cand --typ 'The header''s typ; an empty value leaves it out'
            cand --header 'A header parameter, KEY=VALUE, VALUE as JSON when it parses (repeatable)'
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --secret-base64 'The secret is base64 or base64url, not text'
            cand --allow-weak-key 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)'
            cand --unsecured 'Make an unsigned `alg: none` token (never accepted by jwtctl verify)'
            cand --no-iat 'Do not add iat (set to now by default)'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;check-expiry'= {
            cand --min-ttl 'Exit 4 when a token expires within DURATION'
            cand --max-lifetime 'Exit 7 when a token''s lifetime (exp - iat) is longer than DURATION'
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --allow-no-exp 'Accept tokens without an exp claim (otherwise exit 7)'
            cand -q 'Print nothing; only the exit code speaks'
            cand --quiet 'Print nothing; only the exit code speaks'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;completions'= {
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;man'= {
            cand --color 'When to color text output [default: auto]'
            cand --now 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)'
            cand --leeway 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]'
            cand --threads 'Threads for batch work, at most one per core; output stays in input order [default: all cores]'
            cand --max-token-size 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]'
            cand --json 'One JSON object per token per line (JSON Lines), for jq and scripts'
            cand --local 'Show times in the local time zone instead of UTC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'jwtctl;help'= {
            cand decode 'Show each token''s header, claims, times and warnings (no signature check)'
            cand verify 'Check each token''s signature with a key you name, then its claims'
            cand encode 'Make and sign a token (for tests and local development)'
            cand check-expiry 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'jwtctl;help;decode'= {
        }
        &'jwtctl;help;verify'= {
        }
        &'jwtctl;help;encode'= {
        }
        &'jwtctl;help;check-expiry'= {
        }
        &'jwtctl;help;completions'= {
        }
        &'jwtctl;help;man'= {
        }
        &'jwtctl;help;help'= {
        }
    ]
    $completions[$command]
}
