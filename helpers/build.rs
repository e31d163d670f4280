//! Records the compiler version and optimisation level for the machine report: a
//! timing means little without them, and evcxr builds these helpers with the same
//! settings as the cells that call them.

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|v| v.split(" (").next().unwrap_or(&v).to_string())
        .unwrap_or_else(|| "rustc (version unknown)".into());
    println!("cargo:rustc-env=LAB_RUSTC_VERSION={version}");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_else(|_| "?".into());
    println!("cargo:rustc-env=LAB_OPT_LEVEL={opt}");
    println!("cargo:rerun-if-changed=build.rs");
}
