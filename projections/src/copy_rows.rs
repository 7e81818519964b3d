//! Writing many rows at once with COPY, in its text format: for a rebuild's bulk writes it
//! is several times cheaper than binding the rows as arrays to an insert (PostgreSQL parses
//! each row once, with no array to build and take apart).

use std::fmt::Write as _;

use sqlx::PgConnection;
use uuid::Uuid;

/// How much is buffered before it goes to the server.
const SEND_AT: usize = 1 << 20;

/// A COPY into one table, fed row by row.
pub(crate) struct CopyRows<'c> {
    copy: sqlx::postgres::PgCopyIn<&'c mut PgConnection>,
    buf: String,
    /// Whether the current row has a column yet (the next one needs a tab before it).
    in_row: bool,
}

impl<'c> CopyRows<'c> {
    /// Starts `copy {table} ({columns}) from stdin`.
    pub(crate) async fn start(
        conn: &'c mut PgConnection,
        table: &str,
        columns: &str,
    ) -> Result<Self, sqlx::Error> {
        let copy = conn
            .copy_in_raw(&format!("copy {table} ({columns}) from stdin"))
            .await?;
        Ok(Self {
            copy,
            buf: String::with_capacity(SEND_AT + 4096),
            in_row: false,
        })
    }

    fn column(&mut self) -> &mut String {
        if self.in_row {
            self.buf.push('\t');
        }
        self.in_row = true;
        &mut self.buf
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        let buf = self.column();
        for c in value.chars() {
            match c {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
        self
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        let _ = write!(self.column(), "{value}");
        self
    }

    pub(crate) fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.int(value),
            None => {
                self.column().push_str("\\N");
                self
            }
        }
    }

    pub(crate) fn uuid(&mut self, value: Uuid) -> &mut Self {
        let _ = write!(self.column(), "{value}");
        self
    }

    /// Rust writes the shortest digits that read back as the same bits, as PostgreSQL
    /// reads them (`NaN` and `inf` included).
    pub(crate) fn float(&mut self, value: f64) -> &mut Self {
        let _ = write!(self.column(), "{value:e}");
        self
    }

    /// Ends the row, sending what is buffered once there is enough of it.
    pub(crate) async fn end_row(&mut self) -> Result<(), sqlx::Error> {
        self.buf.push('\n');
        self.in_row = false;
        if self.buf.len() >= SEND_AT {
            self.copy
                .send(std::mem::take(&mut self.buf).into_bytes())
                .await?;
            self.buf.reserve(SEND_AT + 4096);
        }
        Ok(())
    }

    pub(crate) async fn finish(mut self) -> Result<u64, sqlx::Error> {
        if !self.buf.is_empty() {
            self.copy.send(self.buf.into_bytes()).await?;
        }
        self.copy.finish().await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn floats_are_written_in_digits_that_read_back_as_the_same_bits() {
        for value in [
            0.1,
            1.0 / 3.0,
            2f64.powi(70) * 1.1,
            5e-324,
            -0.0,
            123456.789,
        ] {
            let written = format!("{value:e}");
            assert_eq!(written.parse::<f64>().unwrap().to_bits(), value.to_bits());
        }
    }
}
