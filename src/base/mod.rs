//! The small pieces every layer may use and that use nothing else of mailtrail's: the
//! invocation's deadline, SHA-256 and hex, lenient JSON field readers (for decoders and
//! verifiers alike), log setup and error chains, ASCII lower case without allocating, linear-time address masking, UTF-8-safe
//! truncation.

pub mod deadline;
pub mod digest;
pub mod lenient;
pub mod logging;
pub mod lower;
pub mod mask;
pub mod text;
