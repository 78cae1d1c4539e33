namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task GetOrAddSecretAsync_NoSecretYet_StoresAndReturnsTheGivenValue()
    {
        Assert.Equal("first", await Store.GetOrAddSecretAsync("key", "first", Ct));
    }

    [Fact]
    public async Task GetOrAddSecretAsync_SecretStored_ReturnsItNotTheNewValue()
    {
        await Store.GetOrAddSecretAsync("key", "first", Ct);

        Assert.Equal("first", await Store.GetOrAddSecretAsync("key", "second", Ct));
    }

    [Fact]
    public async Task GetOrAddSecretAsync_ManyRacing_AllGetTheSameValue()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.GetOrAddSecretAsync("key", $"value-{i}", Ct))));

        Assert.Single(values.Distinct());
    }
}
