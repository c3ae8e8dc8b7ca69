//! The boundary's floor in raw Node-API: `rawFloor(dim, amount)` gets its
//! two argument handles, reads them as a `u32` and an `f64`, ignores them
//! and returns the number 0. No state is looked up, nothing is allocated,
//! no per-call framework glue runs: this is the least any native `charge`
//! can cost on this Node. The benchmark maps the returned 0 to a shared
//! frozen object, as the facade does with `charge()`'s verdict code.

#![deny(unsafe_op_in_unsafe_fn, missing_docs)]

use std::ptr;

use napi_sys as sys;

/// `rawFloor(dim, amount) -> 0`.
unsafe extern "C" fn raw_floor(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut count: usize = 2;
    let mut handles: [sys::napi_value; 2] = [ptr::null_mut(); 2];
    let mut dim: u32 = 0;
    let mut amount: f64 = 0.0;
    let mut out: sys::napi_value = ptr::null_mut();
    // SAFETY: `env` and `info` are the ones Node passed to this callback;
    // `handles` has room for `count` (2) values, missing arguments are filled
    // with `undefined`, and `this`/`data` are not requested.
    unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &raw mut count,
            handles.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
    }
    let [dim_value, amount_value] = handles;
    // SAFETY: the handles are valid for this callback's scope; a value of
    // the wrong type makes the call return an error status and leaves the
    // output untouched, which is fine for a floor that ignores the values.
    unsafe {
        sys::napi_get_value_uint32(env, dim_value, &raw mut dim);
    }
    // SAFETY: as above.
    unsafe {
        sys::napi_get_value_double(env, amount_value, &raw mut amount);
    }
    // SAFETY: `env` is valid and `out` is a valid place for the result.
    unsafe {
        sys::napi_create_int32(env, 0, &raw mut out);
    }
    out
}

/// Node-API module entry point: exports `rawFloor`.
///
/// # Safety
///
/// Called by Node with a valid `env` and `exports` object, once per
/// environment that loads the addon.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(
    env: sys::napi_env,
    exports: sys::napi_value,
) -> sys::napi_value {
    let name = c"rawFloor";
    let mut function: sys::napi_value = ptr::null_mut();
    // SAFETY: `env` is valid; `name` is NUL-terminated (length -1 =
    // NAPI_AUTO_LENGTH); `raw_floor` has the napi_callback signature.
    let status = unsafe {
        sys::napi_create_function(
            env,
            name.as_ptr(),
            -1,
            Some(raw_floor),
            ptr::null_mut(),
            &raw mut function,
        )
    };
    if status == sys::Status::napi_ok {
        // SAFETY: `exports` is the object Node passed in; `function` was
        // just created in this environment.
        unsafe {
            sys::napi_set_named_property(env, exports, name.as_ptr(), function);
        }
    }
    exports
}
