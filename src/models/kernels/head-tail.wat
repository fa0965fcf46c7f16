;; The head tail of head-tail.ts for every item, by hand in WebAssembly SIMD (why: see
;; head-tail-kernel.ts; assembled by `npm run build:kernels`). Per item i:
;;   h1 = relu(itemPart[i] + userPart)                              [u1], u1 a multiple of 4
;;   h2 = relu(b2 + sum over k with h1[k] > 0 of h1[k] * W2[k])     [u2], u2 a multiple of 16
;;   out[i, o] = b3[o] + h2 . W3t[o]                                 for o < outputs
;; ReLU leaves about two thirds of h1 at zero on our models, and the products with those zeros
;; are skipped: the positive h1 of an item are first packed (their W2 row offsets and values,
;; four lanes at a time through a byte shuffle chosen by the lanes' sign mask), then each group
;; of 16 layer-2 units is summed in four registers over the packed list only, two entries per
;; step. (Eight registers measured slower: V8 then spills an accumulator to the stack.)
;; The packed arrays need u1 + 4 slots: an odd list is padded with a zero entry.
;; All pointers are byte offsets into the exported memory; the caller lays the arrays out
;; (head-tail-kernel.ts), including the 16 shuffles (16 bytes each) at $shuffles.
(module
  (memory (export "memory") 1)
  (func (export "tail")
    (param $items i32) (param $u1 i32) (param $u2 i32) (param $outputs i32)
    (param $itemPart i32) (param $userPart i32)
    (param $w2 i32) (param $b2 i32) (param $w3t i32) (param $b3 i32)
    (param $out i32)
    ;; scratch: u1 + 4 i32 row offsets, u1 + 4 f32 values, u2 f32 layer-2 activations
    (param $packedRows i32) (param $packedValues i32) (param $h2 i32) (param $shuffles i32)
    (local $i i32) (local $k i32) (local $n i32) (local $j i32) (local $m i32) (local $o i32)
    (local $row i32) (local $w i32) (local $rowBytes i32) (local $sum f32) (local $mask i32)
    (local $pr i32) (local $end i32) (local $q i32)
    (local $s v128) (local $t v128) (local $shuffle v128)
    (local $offsets v128) (local $firstOffsets v128) (local $offsetStep v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $rowBytes (i32.shl (local.get $u2) (i32.const 2)))
    (local.set $row (local.get $itemPart))
    ;; W2 row offsets of units k..k+3, and how they move per step of four
    (local.set $firstOffsets
      (i32x4.mul (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $rowBytes))))
    (local.set $offsetStep (i32x4.splat (i32.shl (local.get $rowBytes) (i32.const 2))))
    (block $itemsDone
      (loop $eachItem
        (br_if $itemsDone (i32.ge_u (local.get $i) (local.get $items)))
        ;; layer 1, four units at a time, packed without branches: the lanes above zero are
        ;; moved to the front by a byte shuffle chosen by their sign mask, all four lanes are
        ;; stored, and n advances by the number of positive lanes
        (local.set $n (i32.const 0))
        (local.set $k (i32.const 0))
        (local.set $offsets (local.get $firstOffsets))
        (block $firstDone
          (loop $first
            (br_if $firstDone (i32.ge_u (local.get $k) (local.get $u1)))
            (local.set $s
              (f32x4.add
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $userPart) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $mask (i32x4.bitmask (f32x4.gt (local.get $s) (v128.const f32x4 0 0 0 0))))
            (local.set $shuffle (v128.load (i32.add (local.get $shuffles) (i32.shl (local.get $mask) (i32.const 4)))))
            (v128.store (i32.add (local.get $packedValues) (i32.shl (local.get $n) (i32.const 2)))
              (i8x16.swizzle (local.get $s) (local.get $shuffle)))
            (v128.store (i32.add (local.get $packedRows) (i32.shl (local.get $n) (i32.const 2)))
              (i8x16.swizzle (local.get $offsets) (local.get $shuffle)))
            (local.set $offsets (i32x4.add (local.get $offsets) (local.get $offsetStep)))
            (local.set $n (i32.add (local.get $n) (i32.popcnt (local.get $mask))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $first)))
        ;; layer 2, 16 units at a time in four registers; an odd packed list gets a zero entry
        ;; (value 0, row 0) so that entries can be taken in pairs
        (f32.store (i32.add (local.get $packedValues) (i32.shl (local.get $n) (i32.const 2))) (f32.const 0))
        (i32.store (i32.add (local.get $packedRows) (i32.shl (local.get $n) (i32.const 2))) (i32.const 0))
        (local.set $n (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2)))
        (local.set $end (i32.add (local.get $packedValues) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $m (i32.const 0))
        (block $secondDone
          (loop $second
            (br_if $secondDone (i32.ge_u (local.get $m) (local.get $u2)))
            (local.set $w (i32.add (local.get $w2) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $k (i32.add (local.get $b2) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $acc0 (v128.load offset=0 (local.get $k)))
            (local.set $acc1 (v128.load offset=16 (local.get $k)))
            (local.set $acc2 (v128.load offset=32 (local.get $k)))
            (local.set $acc3 (v128.load offset=48 (local.get $k)))
            ;; $j walks the packed values, $pr the packed row offsets
            (local.set $j (local.get $packedValues))
            (local.set $pr (local.get $packedRows))
            (block $packedDone
              (loop $packed
                (br_if $packedDone (i32.ge_u (local.get $j) (local.get $end)))
                (local.set $s (v128.load32_splat (local.get $j)))
                (local.set $t (v128.load32_splat offset=4 (local.get $j)))
                (local.set $k (i32.add (local.get $w) (i32.load (local.get $pr))))
                (local.set $q (i32.add (local.get $w) (i32.load offset=4 (local.get $pr))))
                (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $k)))) (f32x4.mul (local.get $t) (v128.load offset=0 (local.get $q)))))
                (local.set $acc1 (f32x4.add (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $k)))) (f32x4.mul (local.get $t) (v128.load offset=16 (local.get $q)))))
                (local.set $acc2 (f32x4.add (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $k)))) (f32x4.mul (local.get $t) (v128.load offset=32 (local.get $q)))))
                (local.set $acc3 (f32x4.add (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $k)))) (f32x4.mul (local.get $t) (v128.load offset=48 (local.get $q)))))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (local.set $pr (i32.add (local.get $pr) (i32.const 8)))
                (br $packed)))
            (local.set $k (i32.add (local.get $h2) (i32.shl (local.get $m) (i32.const 2))))
            (v128.store offset=0 (local.get $k) (f32x4.max (local.get $acc0) (v128.const f32x4 0 0 0 0)))
            (v128.store offset=16 (local.get $k) (f32x4.max (local.get $acc1) (v128.const f32x4 0 0 0 0)))
            (v128.store offset=32 (local.get $k) (f32x4.max (local.get $acc2) (v128.const f32x4 0 0 0 0)))
            (v128.store offset=48 (local.get $k) (f32x4.max (local.get $acc3) (v128.const f32x4 0 0 0 0)))
            (local.set $m (i32.add (local.get $m) (i32.const 16)))
            (br $second)))
        ;; output layer: one dot product of h2 with each row of W3 transposed
        (local.set $o (i32.const 0))
        (local.set $w (local.get $w3t))
        (block $outputsDone
          (loop $eachOutput
            (br_if $outputsDone (i32.ge_u (local.get $o) (local.get $outputs)))
            (local.set $acc0 (v128.const f32x4 0 0 0 0))
            (local.set $m (i32.const 0))
            (block $dotDone
              (loop $dot
                (br_if $dotDone (i32.ge_u (local.get $m) (local.get $u2)))
                (local.set $acc0
                  (f32x4.add (local.get $acc0)
                    (f32x4.mul
                      (v128.load (i32.add (local.get $h2) (i32.shl (local.get $m) (i32.const 2))))
                      (v128.load (i32.add (local.get $w) (i32.shl (local.get $m) (i32.const 2)))))))
                (local.set $m (i32.add (local.get $m) (i32.const 4)))
                (br $dot)))
            (local.set $sum
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
                (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
            (f32.store (local.get $out)
              (f32.add (local.get $sum) (f32.load (i32.add (local.get $b3) (i32.shl (local.get $o) (i32.const 2))))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $w (i32.add (local.get $w) (local.get $rowBytes)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $eachOutput)))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $u1) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachItem)))
  )
)
