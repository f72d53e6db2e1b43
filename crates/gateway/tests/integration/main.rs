//! The gateway as a real process, and behind the real nginx edge.

mod edge;
