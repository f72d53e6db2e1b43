//! Search RPCs answer `UNIMPLEMENTED` until the index exists; they never
//! invent results.

use aidoc_proto::ErrorCode;
use aidoc_proto::indexer::v1 as pb;

#[derive(Debug, Clone, Copy, Default)]
pub struct Indexer;

const WHY: &str = "search is not available in this release";

#[tonic::async_trait]
impl pb::indexer_service_server::IndexerService for Indexer {
    async fn search(
        &self,
        _r: tonic::Request<pb::SearchRequest>,
    ) -> Result<tonic::Response<pb::SearchResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("search: {WHY}")))
    }
    async fn get_chunk(
        &self,
        _r: tonic::Request<pb::GetChunkRequest>,
    ) -> Result<tonic::Response<pb::GetChunkResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("get_chunk: {WHY}")))
    }
    async fn list_chunks(
        &self,
        _r: tonic::Request<pb::ListChunksRequest>,
    ) -> Result<tonic::Response<pb::ListChunksResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("list_chunks: {WHY}")))
    }
    async fn stats(
        &self,
        _r: tonic::Request<pb::StatsRequest>,
    ) -> Result<tonic::Response<pb::StatsResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("stats: {WHY}")))
    }
}
