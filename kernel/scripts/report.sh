# SPDX-License-Identifier: GPL-2.0
# Reading a test VM's console log: sourced by check.sh and check-debug.sh.

# The series' own tests must pass on the patched kernel, whatever the unpatched one does.
is_new() {
	case "$1" in
	mremap_mirror | mremap_mirror_hugetlb | mremap_populate | memfd_test) return 0 ;;
	*) return 1 ;;
	esac
}

verdict() { # LOG NAME -> PASS/FAIL/SKIP/MISSING
	local rc
	rc=$(awk -v n="$2" '$1 == "MM-RESULT" && $2 == n { print $3 }' "$1")
	case "$rc" in
	0) echo PASS ;;
	4) echo SKIP ;;
	"") echo MISSING ;;
	*) echo "FAIL($rc)" ;;
	esac
}

totals() { # LOG NAME -> kselftest totals, if any
	grep -E "^\[$2\] # Totals: " "$1" | tail -1 | sed -E 's/.*Totals: //; s/ xfail:0 xpass:0//; s/ error:0//' || true
}

show_failed_test() { # LOG NAME: what a failing test printed
	echo "---- $2 ($1):"
	grep -E "^\[$2\] " "$1" | grep -vE '^\[[^]]*\] (ok|#  RUN|#            OK) ' | tail -n 60
}

# Kernel splats: WARN(), BUG(), oopses, KASAN, lockdep, page table check, list
# debugging, sleeping in atomic context, bad page state or rss counters, stalls.
SPLAT_RE='WARNING:|BUG:|BUG |Oops|Call Trace|kernel BUG|general protection|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|list_add corruption|list_del corruption|Bad page|Bad rss|page_table_check|detected stall|soft lockup|hung_task|INFO: task'

splats() { # LOG: print the splat lines (with line numbers); true if any
	grep -nE "$SPLAT_RE" "$1"
}

# The library row: "name - PASS|FAIL counts"; sets lib_ok=1 when it passed.
library_row() { # LOG [TAG NAME]: TAG MM-LIBRARY32, NAME library32 for the i386 suite
	local lib counts time tag=${2:-MM-LIBRARY} name=${3:-library}
	lib_ok=0
	lib=$(grep "^$tag " "$1" || true)
	if [ -z "$lib" ]; then
		printf '%-22s %-10s %-10s %s
' "$name" - - "not run (no build/tests-static or tests/run.sh; or KERNEL_DEBUG_LIB_TESTS=0)"
		lib_ok=
		return
	fi
	counts=$(echo "$lib" | grep -oE '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' || true)
	if echo "$lib" | grep -q 'rc=0' && [ -n "$counts" ]; then
		lib_ok=1
	fi
	time=$(echo "$lib" | grep -oE 'time=[0-9]+s' | cut -d= -f2 || true)
	printf '%-22s %-10s %-10s %s\n' "$name" - "$([ "$lib_ok" = 1 ] && echo PASS || echo FAIL)" \
		"$counts${time:+ in $time}"
}

# The stress row; sets stress_ok=1 when it passed (skip with STRESS_S=0).
stress_row() { # LOG
	local res sum
	stress_ok=0
	if [ "${STRESS_S:-}" = 0 ]; then
		printf '%-22s %-10s %-10s %s\n' mirror_stress - SKIP "STRESS_S=0: not run"
		stress_ok=skip
		return
	fi
	res=$(grep '^MM-STRESS' "$1" || true)
	if [ -z "$res" ]; then
		printf '%-22s %-10s %-10s %s\n' mirror_stress - MISSING "did not run or did not finish"
		return
	fi
	sum=$(sed -n 's/^\[stress\] mirror_stress: \([0-9]* ops\):.*mismatches=\([0-9]*\).*failures=\([0-9]*\).*$/\1, mismatches \2, failures \3/p' "$1" | tail -1)
	echo "$res" | grep -q 'rc=0' && stress_ok=1
	printf '%-22s %-10s %-10s %s\n' mirror_stress - "$([ "$stress_ok" = 1 ] && echo PASS || echo FAIL)" "$sum"
}

show_stress() { # LOG: the stress run's own lines (all of them if it failed)
	[ "${stress_ok:-0}" = skip ] && return
	if [ "${stress_ok:-0}" = 1 ]; then
		grep -E '^\[stress\] mirror_stress: (seed|known|counters|[0-9]+ ops)' "$1" || true
	else
		grep -E '^\[stress\] ' "$1" | tail -n 120
	fi
}

keep_logs() { # DIR LOG...: keep the logs of a failing run
	local keep
	keep="$1/failed-$(date +%Y%m%d-%H%M%S)"
	shift
	mkdir -p "$keep" && cp "$@" "$keep"/
	echo "logs kept in $keep"
}
