//! Node-API symbols are resolved against the running `node` when the addon
//! is loaded. Linux allows undefined symbols in a shared library by default;
//! macOS must be told so.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    }
}
