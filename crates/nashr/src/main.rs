#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the Rust binding has no constant
/// for it): how long freed memory is kept before it is given back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // A build frees and allocates a few hundred megabytes over and over. Given back after a
    // second (the default), each page comes back zeroed by the kernel on its next use, and the
    // build spends its time in `clear_page`. nashr is short-lived or, as a newsletter worker,
    // steady in size, so memory is kept until exit: faster, with the same peak. An explicit
    // MIMALLOC_PURGE_DELAY still wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option mimalloc reads atomically; no pointers are involved.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        disable_huge_pages();
    }
    nashr::main_with_args(std::env::args_os())
}

/// No transparent huge pages for this process. mimalloc asks for them (`MADV_HUGEPAGE`) for
/// the arenas it maps, and the kernel zeroes each 2 MB page whole on first touch, often more
/// than it will hold: a large build peaks higher with them and is no faster. mimalloc's own
/// option is read when it maps its first arena, before `main`; this flag applies to every
/// later fault. `MIMALLOC_ALLOW_THP=1` keeps them.
fn disable_huge_pages() {
    // SAFETY: `prctl` with integer arguments only; failure (an old kernel) changes nothing.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
    };
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_for_the_process() {
        super::disable_huge_pages();
        // SAFETY: reads the flag set above; integer arguments only.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }

    #[test]
    fn the_purge_delay_option_is_the_one_named() {
        // mimalloc's option order changed between versions: a wrong number would silently
        // set another option. The default purge delay of mimalloc 3 is 1000 ms (verbose
        // output), no other option defaults to that, and the env var is read into it.
        // SAFETY: reads an option; no pointers are involved.
        let v = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        let expected = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        assert_eq!(v, expected);
    }
}
