//! The bumpalo reference of `make bench`: 1000 allocations of 16 bytes aligned to 8 per iteration, as in
//! LocalArena.alloc16: the arena is reset before each iteration, outside the timed part, and the addresses are
//! XOR-ed into a checksum that goes to `black_box` once per iteration.
//!
//! Each iteration is timed on its own, as package-benchmark times the Swift benchmarks, and the program prints
//! the percentiles of those samples per allocation: `bumpalo.alloc16 p25 X p50 Y p75 Z ns/op`. On a shared
//! machine a sample that a preemption hit lands in the tail, so p50 stays close to the undisturbed cost.
//! `bumpalo-reference --rounds N` runs N iterations of the kernel alone, for
//! `valgrind --tool=callgrind --toggle-collect='*kernel_alloc16*'` (scripts/bench-callgrind.sh).
use bumpalo::Bump;
use std::alloc::Layout;
use std::hint::black_box;
use std::time::Instant;

const OPERATIONS: usize = 1000;
const CAPACITY: usize = 1 << 20;
const WARMUP: usize = 1000;
const SAMPLES: usize = 20000;

/// The measured loop: the counterpart of LocalArena.alloc16's.
#[inline(never)]
fn kernel_alloc16(bump: &Bump) -> usize {
    let layout = Layout::from_size_align(16, 8).unwrap();
    let mut checksum = 0usize;
    for _ in 0..OPERATIONS {
        checksum ^= bump.alloc_layout(layout).as_ptr() as usize;
    }
    checksum
}

fn main() {
    let mut bump = Bump::with_capacity(CAPACITY);
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--rounds" {
        let rounds: usize = args[2].parse().expect("--rounds N");
        let mut checksum = 0usize;
        for _ in 0..rounds {
            bump.reset();
            checksum ^= kernel_alloc16(black_box(&bump));
        }
        println!("checksum {checksum}");
        return;
    }
    // Warm-up: faults the chunk in and lets the CPU settle.
    for _ in 0..WARMUP {
        bump.reset();
        black_box(kernel_alloc16(black_box(&bump)));
    }
    let mut samples: Vec<f64> = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        bump.reset();
        let start = Instant::now();
        black_box(kernel_alloc16(black_box(&bump)));
        samples.push(start.elapsed().as_nanos() as f64 / OPERATIONS as f64);
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| samples[((SAMPLES - 1) as f64 * q).round() as usize];
    println!(
        "bumpalo.alloc16 p25 {:.3} p50 {:.3} p75 {:.3} ns/op ({} iterations of {} allocations, bumpalo 3)",
        at(0.25),
        at(0.5),
        at(0.75),
        SAMPLES,
        OPERATIONS
    );
}
