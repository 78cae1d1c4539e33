using Wharf.Distribution;

namespace Wharf.Core.Tests.Registry;

/// <summary>Requests on one session that queue behind each other.</summary>
public sealed class UploadServiceRaceTests : UploadServiceTestBase
{
    [Fact]
    public async Task AppendAsync_QueuedBehindCancel_ThrowsBlobUploadUnknownAndWritesNothing()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        var gate = new GatedStream(Bytes("first"));

        // The first append holds the session's lock until the gate opens; a cancel and a second
        // append queue behind it, in that order.
        var first = Service.AppendAsync(Repository, upload.Id.Value, gate, null, null, Ct);
        await gate.Reading;
        var cancel = Service.CancelAsync(Repository, upload.Id.Value, Ct);
        await Task.Delay(100);
        var second = Service.AppendAsync(Repository, upload.Id.Value, Body("second"), null, null, Ct);
        await Task.Delay(100);
        gate.Open();

        await first;
        await cancel;
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => second);
        Assert.False(Directory.Exists(UploadDirectory(Repository, upload.Id)));
    }

    /// <summary>A body whose first read waits until the test opens it.</summary>
    private sealed class GatedStream(byte[] content) : MemoryStream(content)
    {
        private readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reading => _reading.Task;

        public void Open() => _open.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _reading.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
            return await base.ReadAsync(buffer, cancellationToken);
        }
    }
}
