;; Hostile fixture: `run` makes a handle of its own resource type and passes it to the
;; host's `[method]function.name`, which expects a `borrow<function>`: the handle has
;; the wrong type. Hand-written: wit-bindgen's typed handles cannot express this.
(component
  (import "faaslab:host/platform@0.1.0" (instance $platform
    (export "function" (type $f (sub resource)))
    (export "[method]function.name" (func (param "self" (borrow $f)) (result string)))))
  (core module $libc
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (type $mine (resource (rep i32)))
  (core func $mine-new (canon resource.new $mine))
  (core func $name (canon lower (func $platform "[method]function.name")
    (memory (core memory $libc "memory")) (realloc (core func $libc "realloc"))))
  (core module $main
    (import "host" "name" (func $name (param i32 i32)))
    (import "host" "mine-new" (func $new (param i32) (result i32)))
    (func (export "run") (param i32 i32) (result i32)
      (call $name (call $new (i32.const 7)) (i32.const 64))
      (i32.const 0)))
  (core instance $main (instantiate $main
    (with "host" (instance
      (export "name" (func $name))
      (export "mine-new" (func $mine-new))))))
  (func (export "run") (param "config" string) (result (result string (error string)))
    (canon lift (core func $main "run") (memory (core memory $libc "memory")) (realloc (core func $libc "realloc")))))
