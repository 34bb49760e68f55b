//! The one paginate-and-record-a-gap loop every AWS collector uses: read an SDK paginator
//! page by page, hand each page over, and stop at the first page that fails. What the pages
//! before the failure held is kept; the failure either becomes a coverage [`Gap`]
//! ([`items_or_gap`], [`each_page_or_gap`]) or is returned to a caller that keeps nothing of
//! a partial listing ([`each_page`], RDS).

use std::ops::ControlFlow;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::result::SdkError;

use super::faults::{self, HasStatus, OperationError, Scope};
use super::operations::Operation;
use crate::inventory::Gap;

/// What an SDK paginator's `send()` returns.
pub type Pages<P, E, R> = PaginationStream<Result<P, SdkError<E, R>>>;

/// Where a failed page is recorded: the gap's scope and operation, and what was being listed
/// (written before the error message, e.g. `role app`), when the operation alone does not say.
pub struct Site<'a> {
    pub scope: &'a Scope,
    pub op: Operation,
    pub what: Option<String>,
}

impl<'a> Site<'a> {
    pub fn new(scope: &'a Scope, op: Operation) -> Self {
        Site {
            scope,
            op,
            what: None,
        }
    }

    /// The same site, naming what was listed.
    pub fn about(mut self, what: impl Into<String>) -> Self {
        self.what = Some(what.into());
        self
    }

    /// The gap of `err` at this site.
    pub fn gap<E, R>(&self, err: &SdkError<E, R>) -> Gap
    where
        E: OperationError,
        R: std::fmt::Debug + HasStatus,
    {
        let mut gap = faults::gap(self.scope, self.op, err);
        if let Some(what) = &self.what {
            gap.message = format!("{what}: {}", gap.message);
        }
        gap
    }
}

/// Hands every page to `each`, in order, until the last page, `each` breaks, or a page
/// fails (its error is returned; the pages before it were handed over).
pub async fn each_page<P, E, R>(
    mut pages: Pages<P, E, R>,
    mut each: impl FnMut(P) -> ControlFlow<()>,
) -> Result<(), SdkError<E, R>> {
    while let Some(page) = pages.next().await {
        if each(page?).is_break() {
            break;
        }
    }
    Ok(())
}

/// [`each_page`] over every page; a failed page becomes a gap at `site` in `gaps`. True when
/// every page was read.
pub async fn each_page_or_gap<P, E, R>(
    pages: Pages<P, E, R>,
    site: Site<'_>,
    gaps: &mut Vec<Gap>,
    mut each: impl FnMut(P),
) -> bool
where
    E: OperationError,
    R: std::fmt::Debug + HasStatus,
{
    let read = each_page(pages, |page| {
        each(page);
        ControlFlow::Continue(())
    })
    .await;
    match read {
        Ok(()) => true,
        Err(err) => {
            gaps.push(site.gap(&err));
            false
        }
    }
}

/// What a listing read: its items, and whether every page was read (if not, a gap says why).
pub struct Listed<T> {
    pub items: Vec<T>,
    pub complete: bool,
}

/// The items `take` pulls out of every page (it pushes them onto the list it is given); a
/// failed page ends the listing with a gap at `site` in `gaps`, keeping the items before it.
pub async fn items_or_gap<P, T, E, R>(
    pages: Pages<P, E, R>,
    site: Site<'_>,
    gaps: &mut Vec<Gap>,
    mut take: impl FnMut(P, &mut Vec<T>),
) -> Listed<T>
where
    E: OperationError,
    R: std::fmt::Debug + HasStatus,
{
    let mut items = Vec::new();
    let complete = each_page_or_gap(pages, site, gaps, |page| take(page, &mut items)).await;
    Listed { items, complete }
}

/// Every page's items, or the first failure (a partial listing is not kept).
pub async fn all_items<P, T, E, R>(
    pages: Pages<P, E, R>,
    mut take: impl FnMut(P, &mut Vec<T>),
) -> Result<Vec<T>, SdkError<E, R>> {
    let mut items = Vec::new();
    each_page(pages, |page| {
        take(page, &mut items);
        ControlFlow::Continue(())
    })
    .await?;
    Ok(items)
}
