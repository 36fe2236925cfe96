#!/usr/bin/env bash
# HTTPS delivery: a webhook on https://127.0.0.1 with a certificate made
# here.  With the CA file configured the alert is delivered; a receiver
# without it does not trust the server: nothing is posted, the
# certificate error is logged and the alert is retried, not dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deliver.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T_DIR/key.pem" \
    -out "$T_DIR/cert.pem" 2>"$T_DIR/openssl.log" ||
    { cat "$T_DIR/openssl.log"; exit 1; }
redis_start
webhook_start secure --tls "$T_DIR/cert.pem" "$T_DIR/key.pem"
webhook_start untrusted --tls "$T_DIR/cert.pem" "$T_DIR/key.pem"
CFG=$T_DIR/tls.yaml
deliver_config "$CFG" "  secure:
    webhook: {url: \"https://127.0.0.1:$secure_PORT/hook\", ca_file: \"$T_DIR/cert.pem\", timeout: 5s}
  untrusted:
    webhook: {url: \"https://127.0.0.1:$untrusted_PORT/hook\", give_up_after: 1h, timeout: 5s}" \
    "secure, untrusted"

daemon_start "$CFG" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"
submit TLS-1
wait_until 20 eval '[ "$(count_posts secure "^TLS-1:first_response:0 firing")" -ge 1 ]'
check "delivered over https with the configured CA" 1 \
    "$(count_posts secure "^TLS-1:first_response:0 firing TLS-1$")"
wait_until 20 eval '[ "$(metric "triaged_deliveries_total{receiver=\"untrusted\",outcome=\"retried\"}")" -ge 2 ]'
check "without the CA: nothing posted" 0 "$(count_posts untrusted .)"
check_true "the certificate error is logged with the receiver" \
    grep -qiE "TLS-1 .* via untrusted failed \(.*(certificate|SSL).*\); attempt [0-9]+, next in" \
    "$T_DIR/node-a.log"
check_true "and retried, not given up" test \
    "$(metric 'triaged_deliveries_total{receiver="untrusted",outcome="retried"}')" -ge 2
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"
check "the alert stays pending until the untrusted receiver has it" 1 \
    "$(rcli xpending ${P}alerts deliver | head -n 1)"
