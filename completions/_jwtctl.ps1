
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'jwtctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'jwtctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'jwtctl' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Show each token''s header, claims, times and warnings (no signature check)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check each token''s signature with a key you name, then its claims')
            [CompletionResult]::new('encode', 'encode', [CompletionResultType]::ParameterValue, 'Make and sign a token (for tests and local development)')
            [CompletionResult]::new('check-expiry', 'check-expiry', [CompletionResultType]::ParameterValue, 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'jwtctl;decode' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 7 when any security warning fires (alg_none, no_exp, embedded_key, weak_key), for CI')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;verify' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'HMAC secret read from a file (a trailing newline is ignored)')
            [CompletionResult]::new('--secret-env', '--secret-env', [CompletionResultType]::ParameterName, 'HMAC secret read from the environment variable NAME')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env')
            [CompletionResult]::new('--jwks', '--jwks', [CompletionResultType]::ParameterName, 'A JWKS file or http(s) URL; the token''s kid picks the key')
            [CompletionResult]::new('--oidc-issuer', '--oidc-issuer', [CompletionResultType]::ParameterName, 'Fetch URL/.well-known/openid-configuration, then its jwks_uri; iss must equal URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for fetching a JWKS or discovery document')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificates (PEM) that https fetches trust instead of the built-in roots, for a private CA [default: $SSL_CERT_FILE if set]')
            [CompletionResult]::new('--alg', '--alg', [CompletionResultType]::ParameterName, 'Accept only this algorithm (repeatable); default: those that fit the key')
            [CompletionResult]::new('--iss', '--iss', [CompletionResultType]::ParameterName, 'Required issuer (repeatable: any one may match)')
            [CompletionResult]::new('--aud', '--aud', [CompletionResultType]::ParameterName, 'Required audience; aud may be a string or an array (repeatable: any one may match)')
            [CompletionResult]::new('--sub', '--sub', [CompletionResultType]::ParameterName, 'Required subject (repeatable: any one may match)')
            [CompletionResult]::new('--require', '--require', [CompletionResultType]::ParameterName, 'A claim that must be present (repeatable)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--secret-base64', '--secret-base64', [CompletionResultType]::ParameterName, 'The secret is base64 or base64url, not text')
            [CompletionResult]::new('--allow-weak-key', '--allow-weak-key', [CompletionResultType]::ParameterName, 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)')
            [CompletionResult]::new('--allow-no-exp', '--allow-no-exp', [CompletionResultType]::ParameterName, 'Accept tokens without an exp claim')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;encode' {
            [CompletionResult]::new('--alg', '--alg', [CompletionResultType]::ParameterName, 'Signing algorithm (`none` needs --unsecured)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'HMAC secret read from a file (a trailing newline is ignored)')
            [CompletionResult]::new('--secret-env', '--secret-env', [CompletionResultType]::ParameterName, 'HMAC secret read from the environment variable NAME')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env')
            [CompletionResult]::new('--claim', '--claim', [CompletionResultType]::ParameterName, 'A claim, KEY=VALUE; VALUE is JSON when it parses as JSON, else a string (repeatable)')
            [CompletionResult]::new('--exp', '--exp', [CompletionResultType]::ParameterName, 'exp: a duration from now (15m, 1h; -1h: an hour ago, for an expired token) or an RFC 3339 time')
            [CompletionResult]::new('--nbf', '--nbf', [CompletionResultType]::ParameterName, 'nbf: a duration from now (-5m: five minutes ago) or an RFC 3339 time')
            [CompletionResult]::new('--kid', '--kid', [CompletionResultType]::ParameterName, 'The header''s kid, and the key of that kid in a JWKS (default: the JWK''s own kid); an empty value leaves it out')
            [CompletionResult]::new('--typ', '--typ', [CompletionResultType]::ParameterName, 'The header''s typ; an empty value leaves it out')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'A header parameter, KEY=VALUE, VALUE as JSON when it parses (repeatable)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--secret-base64', '--secret-base64', [CompletionResultType]::ParameterName, 'The secret is base64 or base64url, not text')
            [CompletionResult]::new('--allow-weak-key', '--allow-weak-key', [CompletionResultType]::ParameterName, 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)')
            [CompletionResult]::new('--unsecured', '--unsecured', [CompletionResultType]::ParameterName, 'Make an unsigned `alg: none` token (never accepted by jwtctl verify)')
            [CompletionResult]::new('--no-iat', '--no-iat', [CompletionResultType]::ParameterName, 'Do not add iat (set to now by default)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;check-expiry' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Exit 4 when a token expires within DURATION')
            [CompletionResult]::new('--max-lifetime', '--max-lifetime', [CompletionResultType]::ParameterName, 'Exit 7 when a token''s lifetime (exp - iat) is longer than DURATION')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--allow-no-exp', '--allow-no-exp', [CompletionResultType]::ParameterName, 'Accept tokens without an exp claim (otherwise exit 7)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing; only the exit code speaks')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing; only the exit code speaks')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color text output [default: auto]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--leeway', '--leeway', [CompletionResultType]::ParameterName, 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads for batch work, at most one per core; output stays in input order [default: all cores]')
            [CompletionResult]::new('--max-token-size', '--max-token-size', [CompletionResultType]::ParameterName, 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per token per line (JSON Lines), for jq and scripts')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local time zone instead of UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'jwtctl;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Show each token''s header, claims, times and warnings (no signature check)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check each token''s signature with a key you name, then its claims')
            [CompletionResult]::new('encode', 'encode', [CompletionResultType]::ParameterValue, 'Make and sign a token (for tests and local development)')
            [CompletionResult]::new('check-expiry', 'check-expiry', [CompletionResultType]::ParameterValue, 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'jwtctl;help;decode' {
            break
        }
        'jwtctl;help;verify' {
            break
        }
        'jwtctl;help;encode' {
            break
        }
        'jwtctl;help;check-expiry' {
            break
        }
        'jwtctl;help;completions' {
            break
        }
        'jwtctl;help;man' {
            break
        }
        'jwtctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
