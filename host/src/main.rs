fn main() -> std::process::ExitCode {
    faaslab::cli::main()
}
