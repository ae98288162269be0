//! The exit codes of the command-line contract and the order in which they outrank each other.

/// One of the contract's exit codes. `Usage` (2) is decided by the argument parser and `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    Ok,
    Invalid,
    Usage,
    BadInput,
    Expiring,
    NotYetValid,
    KeyProblem,
    Policy,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Invalid => 1,
            Exit::Usage => 2,
            Exit::BadInput => 3,
            Exit::Expiring => 4,
            Exit::NotYetValid => 5,
            Exit::KeyProblem => 6,
            Exit::Policy => 7,
        }
    }

    /// Higher is more severe. With several tokens the most severe code wins, in the contract's
    /// order 3, 6, 1, 5, 7, 4, 0; a usage error outranks everything since nothing ran.
    fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Expiring => 1,
            Exit::Policy => 2,
            Exit::NotYetValid => 3,
            Exit::Invalid => 4,
            Exit::KeyProblem => 5,
            Exit::BadInput => 6,
            Exit::Usage => 7,
        }
    }

    /// The more severe of the two.
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exit::*;

    #[test]
    fn severity_follows_the_contract_order() {
        let order = [
            BadInput,
            KeyProblem,
            Invalid,
            NotYetValid,
            Policy,
            Expiring,
            Ok,
        ];
        for (i, a) in order.iter().enumerate() {
            for b in &order[i..] {
                assert_eq!(a.worst(*b), *a, "{a:?} must outrank {b:?}");
                assert_eq!(b.worst(*a), *a, "{a:?} must outrank {b:?}");
            }
        }
    }

    #[test]
    fn codes_match_the_contract() {
        let codes: Vec<u8> = [
            Ok,
            Invalid,
            Usage,
            BadInput,
            Expiring,
            NotYetValid,
            KeyProblem,
            Policy,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
