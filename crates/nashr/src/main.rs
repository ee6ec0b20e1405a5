fn main() -> std::process::ExitCode {
    nashr::main_with_args(std::env::args_os())
}
