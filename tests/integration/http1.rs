//! A minimal HTTP/1.1 message reader and writer, for the test proxy and the bench harness's
//! Lambda Runtime API.

#![allow(dead_code)]

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// One HTTP/1.1 message: start line, headers, body.
pub struct Message {
    /// The request or status line.
    pub start: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Message {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bytes to send, with the body's length set and transfer encodings and checksums
    /// (which no longer match a rewritten body) removed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if !matches!(
                lower.as_str(),
                "content-length" | "transfer-encoding" | "x-amz-crc32"
            ) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!("content-length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads one message; `None` when the peer closed the connection.
pub async fn read_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Message>> {
    let mut start = String::new();
    if reader.read_line(&mut start).await? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut message = Message {
        start: start.trim_end().to_owned(),
        headers,
        body: Vec::new(),
    };
    if message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).await?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            message.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = message
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        message.body = vec![0; length];
        reader.read_exact(&mut message.body).await?;
    }
    Ok(Some(message))
}

/// Sends one request to `upstream` on a new connection and reads its answer (the test
/// proxies' way through to the DynamoDB-API server).
pub async fn exchange(upstream: std::net::SocketAddr, request: &Message) -> std::io::Result<Message> {
    use tokio::io::AsyncWriteExt;
    let stream = tokio::net::TcpStream::connect(upstream).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(&request.to_bytes()).await?;
    let mut reader = tokio::io::BufReader::new(read);
    read_message(&mut reader)
        .await?
        .ok_or_else(|| std::io::Error::other("the upstream closed without answering"))
}
