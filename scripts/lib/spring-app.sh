# Sourced (not run) by scripts/spring-*.sh, from the repository root: the Spring example app's
# classpath, a free port for it, and stopping it. The caller sets `set -euo pipefail`.

APP_PID=""

# spring_app_classpath <work dir>: compiles examples and the modules it uses (-am: this checkout's code, not
# whatever snapshot ~/.m2 holds) offline and sets CP to its runtime classpath, with the project's own classes
# copied to <work dir>/lib first: other builds may rebuild them while the app runs.
spring_app_classpath() {
    local work=$1 e
    local -a entries=()
    # In one reactor run, the sibling modules resolve to their target/classes; examples is built last, so
    # its class path is what cp.txt holds at the end.
    mvn -B -q -o -ntp -pl examples -am compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
        -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=runtime >/dev/null
    mkdir -p "$work/lib"
    cp -r examples/target/classes "$work/lib/examples-classes"
    CP="$work/lib/examples-classes"
    IFS=: read -ra entries <"$work/cp.txt" || true  # no trailing newline: read returns 1
    for e in "${entries[@]}"; do
        if [[ $e == */io/reactoruring/* ]]; then cp "$e" "$work/lib/"; e="$work/lib/$(basename "$e")"; fi
        if [[ $e == */reactor-uring-*/target/classes ]]; then
            local module
            module=$(basename "$(dirname "$(dirname "$e")")")
            cp -r "$e" "$work/lib/$module-classes"; e="$work/lib/$module-classes"
        fi
        CP="$CP:$e"
    done
}

# free_port: prints a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stop_app [tenths]: TERM the app started as APP_PID, KILL it if still there after tenths/10 s
# (default 100, ten seconds); nothing if there is none.
stop_app() {
    local tenths=${1:-100}
    if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
        kill "$APP_PID" 2>/dev/null || true
        for _ in $(seq 1 "$tenths"); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$APP_PID" 2>/dev/null || true
    fi
    APP_PID=""
}
