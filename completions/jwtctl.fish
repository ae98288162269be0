# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_jwtctl_global_optspecs
    string join \n json color= local now= leeway= threads= max-token-size= h/help V/version
end

function __fish_jwtctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_jwtctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_jwtctl_using_subcommand
    set -l cmd (__fish_jwtctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c jwtctl -n "__fish_jwtctl_needs_command" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "decode" -d 'Show each token\'s header, claims, times and warnings (no signature check)'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "verify" -d 'Check each token\'s signature with a key you name, then its claims'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "encode" -d 'Make and sign a token (for tests and local development)'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "check-expiry" -d 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c jwtctl -n "__fish_jwtctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l strict -d 'Exit 7 when any security warning fires (alg_none, no_exp, embedded_key, weak_key), for CI'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand decode" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l key -d 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l secret-file -d 'HMAC secret read from a file (a trailing newline is ignored)' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l secret-env -d 'HMAC secret read from the environment variable NAME' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l secret -d 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l jwks -d 'A JWKS file or http(s) URL; the token\'s kid picks the key' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l oidc-issuer -d 'Fetch URL/.well-known/openid-configuration, then its jwks_uri; iss must equal URL' -r -f
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l timeout -d 'Time limit for fetching a JWKS or discovery document' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l cacert -d 'CA certificates (PEM) that https fetches trust instead of the built-in roots, for a private CA [default: $SSL_CERT_FILE if set]' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l alg -d 'Accept only this algorithm (repeatable); default: those that fit the key' -r -f -a "HS256\t''
HS384\t''
HS512\t''
RS256\t''
RS384\t''
RS512\t''
PS256\t''
PS384\t''
PS512\t''
ES256\t''
ES384\t''
ES512\t''
ES256K\t''
EdDSA\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l iss -d 'Required issuer (repeatable: any one may match)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l aud -d 'Required audience; aud may be a string or an array (repeatable: any one may match)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l sub -d 'Required subject (repeatable: any one may match)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l require -d 'A claim that must be present (repeatable)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l secret-base64 -d 'The secret is base64 or base64url, not text'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l allow-weak-key -d 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l allow-no-exp -d 'Accept tokens without an exp claim'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand verify" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l alg -d 'Signing algorithm (`none` needs --unsecured)' -r -f -a "HS256\t''
HS384\t''
HS512\t''
RS256\t''
RS384\t''
RS512\t''
PS256\t''
PS384\t''
PS512\t''
ES256\t''
ES384\t''
ES512\t''
ES256K\t''
EdDSA\t''
none\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l key -d 'Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l secret-file -d 'HMAC secret read from a file (a trailing newline is ignored)' -r -F
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l secret-env -d 'HMAC secret read from the environment variable NAME' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l secret -d 'HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l claim -d 'A claim, KEY=VALUE; VALUE is JSON when it parses as JSON, else a string (repeatable)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l exp -d 'exp: a duration from now (15m, 1h; -1h: an hour ago, for an expired token) or an RFC 3339 time' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l nbf -d 'nbf: a duration from now (-5m: five minutes ago) or an RFC 3339 time' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l kid -d 'The header\'s kid, and the key of that kid in a JWKS (default: the JWK\'s own kid); an empty value leaves it out' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l typ -d 'The header\'s typ; an empty value leaves it out' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l header -d 'A header parameter, KEY=VALUE, VALUE as JSON when it parses (repeatable)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l secret-base64 -d 'The secret is base64 or base64url, not text'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l allow-weak-key -d 'Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l unsecured -d 'Make an unsigned `alg: none` token (never accepted by jwtctl verify)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l no-iat -d 'Do not add iat (set to now by default)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand encode" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l min-ttl -d 'Exit 4 when a token expires within DURATION' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l max-lifetime -d 'Exit 7 when a token\'s lifetime (exp - iat) is longer than DURATION' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l allow-no-exp -d 'Accept tokens without an exp claim (otherwise exit 7)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -s q -l quiet -d 'Print nothing; only the exit code speaks'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand check-expiry" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l color -d 'When to color text output [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l now -d 'Judge times as if the clock read TIME (RFC 3339 or Unix seconds)' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l leeway -d 'Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l threads -d 'Threads for batch work, at most one per core; output stays in input order [default: all cores]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l max-token-size -d 'Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]' -r
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l json -d 'One JSON object per token per line (JSON Lines), for jq and scripts'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -l local -d 'Show times in the local time zone instead of UTC'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "decode" -d 'Show each token\'s header, claims, times and warnings (no signature check)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "verify" -d 'Check each token\'s signature with a key you name, then its claims'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "encode" -d 'Make and sign a token (for tests and local development)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "check-expiry" -d 'For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c jwtctl -n "__fish_jwtctl_using_subcommand help; and not __fish_seen_subcommand_from decode verify encode check-expiry completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
