//! A small subset of Okta's filter/search expressions: `attr op "value"` clauses joined
//! by `and` / `or` (`and` binds tighter), with `eq`, `ne`, `sw`, `co` and `pr`. Enough for
//! `status eq "ACTIVE" and profile.login eq "a@example.com"`; anything else (parentheses,
//! `gt`, `not`) is refused as Okta refuses a bad expression: `400 E0000031`.

/// A parsed expression: a disjunction of conjunctions of clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expr(Vec<Vec<Clause>>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    attr: String,
    op: CmpOp,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Sw,
    Co,
    Pr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
}

/// The expression could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

fn tokenize(text: &str) -> Result<Vec<Token>, Invalid> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('\\') => s.push(chars.next().ok_or(Invalid)?),
                    Some('"') => break,
                    Some(c) => s.push(c),
                    None => return Err(Invalid),
                }
            }
            tokens.push(Token::Str(s));
        } else if c == '(' || c == ')' {
            return Err(Invalid);
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
            tokens.push(Token::Word(w));
        }
    }
    Ok(tokens)
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, Invalid> {
        let tokens = tokenize(text)?;
        let mut tokens = tokens.into_iter().peekable();
        let mut groups = vec![Vec::new()];
        loop {
            let Some(Token::Word(attr)) = tokens.next() else {
                return Err(Invalid);
            };
            let Some(Token::Word(op)) = tokens.next() else {
                return Err(Invalid);
            };
            let op = match op.to_ascii_lowercase().as_str() {
                "eq" => CmpOp::Eq,
                "ne" => CmpOp::Ne,
                "sw" => CmpOp::Sw,
                "co" => CmpOp::Co,
                "pr" => CmpOp::Pr,
                _ => return Err(Invalid),
            };
            let value = if op == CmpOp::Pr {
                String::new()
            } else {
                match tokens.next() {
                    Some(Token::Str(s)) | Some(Token::Word(s)) => s,
                    None => return Err(Invalid),
                }
            };
            let clause = Clause { attr, op, value };
            match groups.last_mut() {
                Some(group) => group.push(clause),
                None => return Err(Invalid),
            }
            match tokens.next() {
                None => break,
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => {}
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => groups.push(Vec::new()),
                _ => return Err(Invalid),
            }
        }
        Ok(Expr(groups))
    }

    /// Whether an object matches, given how to read an attribute of it.
    pub fn matches(&self, attr: &dyn Fn(&str) -> Option<String>) -> bool {
        self.0.iter().any(|group| {
            group.iter().all(|c| {
                let value = attr(&c.attr);
                match c.op {
                    CmpOp::Pr => value.is_some_and(|v| !v.is_empty()),
                    CmpOp::Eq => value.is_some_and(|v| v.eq_ignore_ascii_case(&c.value)),
                    CmpOp::Ne => !value.is_some_and(|v| v.eq_ignore_ascii_case(&c.value)),
                    CmpOp::Sw => {
                        value.is_some_and(|v| v.to_lowercase().starts_with(&c.value.to_lowercase()))
                    }
                    CmpOp::Co => {
                        value.is_some_and(|v| v.to_lowercase().contains(&c.value.to_lowercase()))
                    }
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(attr: &str) -> Option<String> {
        match attr {
            "status" => Some("ACTIVE".into()),
            "profile.login" => Some("ann@example.com".into()),
            _ => None,
        }
    }

    #[test]
    fn clauses_joined_by_and_and_or_match_as_okta_reads_them() {
        let yes = Expr::parse(r#"status eq "ACTIVE" and profile.login sw "ann""#).unwrap();
        assert!(yes.matches(&user));
        let no = Expr::parse(r#"status eq "SUSPENDED" and profile.login sw "ann""#).unwrap();
        assert!(!no.matches(&user));
        let either = Expr::parse(r#"status eq "SUSPENDED" or profile.login pr"#).unwrap();
        assert!(either.matches(&user));
    }

    #[test]
    fn expressions_outside_the_subset_are_invalid() {
        assert_eq!(
            Expr::parse(r#"(status eq "ACTIVE")"#),
            Err(Invalid),
            "parentheses"
        );
        assert_eq!(Expr::parse(r#"lastUpdated gt "2020""#), Err(Invalid));
        assert_eq!(Expr::parse(r#"status eq"#), Err(Invalid));
        assert_eq!(Expr::parse(r#"status eq "A" xor id eq "B""#), Err(Invalid));
    }
}
