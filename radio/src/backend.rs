//! Choosing the tracer: the CPU tracer, the GPU tracer (feature `gpu`), or whichever suits the
//! machine.

use std::str::FromStr;
use std::sync::Arc;

use crate::error::RadioError;
use crate::propagation::{CpuTracer, Propagation};

/// Which tracer computes coverage maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The GPU when there is a hardware adapter, else the CPU. A software adapter (Mesa's
    /// lavapipe) is passed over: it computes the same maps, but slower than the CPU tracer.
    #[default]
    Auto,
    /// The CPU tracer.
    Cpu,
    /// The GPU tracer, on whatever adapter there is (a software one included); an error
    /// without one.
    Gpu,
}

impl FromStr for Backend {
    type Err = RadioError;

    fn from_str(s: &str) -> Result<Backend, RadioError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "cpu" => Ok(Backend::Cpu),
            "gpu" => Ok(Backend::Gpu),
            other => Err(RadioError::InvalidConfig(format!(
                "unknown backend \"{other}\" (auto, cpu or gpu)"
            ))),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        })
    }
}

/// A tracer, and one line that says which and why (for the log).
#[derive(Clone)]
pub struct Selected {
    /// The tracer.
    pub tracer: Arc<dyn Propagation + Send + Sync>,
    /// E.g. `radio backend: gpu on NVIDIA H100 (Vulkan, ...)`, or the reason `auto` chose the
    /// CPU.
    pub notice: String,
}

impl std::fmt::Debug for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("tracer", &self.tracer.name())
            .field("notice", &self.notice)
            .finish()
    }
}

fn cpu(notice: String) -> Selected {
    Selected { tracer: Arc::new(CpuTracer), notice }
}

/// The tracer `backend` asks for. `gpu` without an adapter (or in a build without the `gpu`
/// feature) is an error that says so; `auto` then falls back to the CPU and says why.
pub fn select(backend: Backend) -> Result<Selected, RadioError> {
    match backend {
        Backend::Cpu => Ok(cpu("radio backend: cpu".into())),
        #[cfg(feature = "gpu")]
        Backend::Gpu => {
            let t = crate::gpu::GpuTracer::new()?;
            let notice = format!("radio backend: gpu on {}", t.context().adapter);
            Ok(Selected { tracer: Arc::new(t), notice })
        }
        #[cfg(feature = "gpu")]
        // The adapter's kind is known before a device is opened: a software one costs nothing.
        Backend::Auto => match crate::gpu::GpuAdapter::find() {
            Ok(a) if !a.software => {
                let ctx = crate::gpu::GpuContext::shared()?;
                let notice = format!("radio backend: gpu on {} (auto)", ctx.adapter);
                let t = crate::gpu::GpuTracer::with_context(ctx);
                Ok(Selected { tracer: Arc::new(t), notice })
            }
            Ok(a) => Ok(cpu(format!(
                "radio backend: cpu (auto: the only adapter, {}, is a software one, slower than \
                 the CPU tracer; --backend gpu uses it anyway)",
                a.name
            ))),
            Err(e) => Ok(cpu(format!("radio backend: cpu (auto: {})", first_line(&e.to_string())))),
        },
        #[cfg(not(feature = "gpu"))]
        Backend::Gpu => Err(RadioError::Gpu(
            "this build has no GPU backend; rebuild with the `gpu` feature".into(),
        )),
        #[cfg(not(feature = "gpu"))]
        Backend::Auto => {
            Ok(cpu("radio backend: cpu (auto: built without the `gpu` feature)".into()))
        }
    }
}

#[cfg(feature = "gpu")]
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
